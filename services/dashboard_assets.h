// The dashboard's static files (services/dashboard/), compiled into the
// server so that no web server needs installing beside it.
#ifndef TRIPDESK_SERVICES_DASHBOARD_ASSETS_H_
#define TRIPDESK_SERVICES_DASHBOARD_ASSETS_H_

#include <string_view>

namespace tripdesk::services {

struct DashboardAsset {
  const char* content_type;
  std::string_view content;
};

// The file served at `path` ("/index.html", "/assets/app.js"); null if none.
const DashboardAsset* FindDashboardAsset(std::string_view path);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_DASHBOARD_ASSETS_H_
