// The sample reference data shipped in deploy/reference.textproto, compiled
// in so the embedded default works from any directory.
#ifndef TRIPDESK_SERVICES_EMBEDDED_REFERENCE_H_
#define TRIPDESK_SERVICES_EMBEDDED_REFERENCE_H_

namespace tripdesk::services {

const char* EmbeddedReferenceData();

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_EMBEDDED_REFERENCE_H_
