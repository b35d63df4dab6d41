// Projection: one view, a small class that applies one event to its rows.
// The ProjectionRunner feeds it every record of the log in order and stores
// its checkpoint in the same batch as its rows.
//
// Apply is called from the runner's thread only.
#ifndef TRIPDESK_PROJECTIONS_PROJECTION_H_
#define TRIPDESK_PROJECTIONS_PROJECTION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "projections/view_store.h"
#include "tripdesk/v1/cases.pb.h"
#include "tripdesk/v1/log.pb.h"

namespace tripdesk::projections {

class Projection {
 public:
  virtual ~Projection() = default;
  virtual std::string name() const = 0;
  // Bumped whenever the rows it writes change meaning; a stored view of
  // another version is rebuilt at start.
  virtual int version() const = 0;
  // The column families holding its rows (dropped on rebuild).
  virtual std::vector<std::string> families() const = 0;
  // `event` is the record's decoded payload (records of case streams only).
  virtual absl::Status Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                             ViewTxn& txn) = 0;
  // Writes what Apply kept in memory during a page into `txn`; called once
  // per page, before the page's rows and checkpoint are committed.
  virtual absl::Status Flush(ViewTxn&) { return absl::OkStatus(); }
  // Forgets what Apply kept in memory (the page was not committed).
  virtual void Discard() {}
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_PROJECTION_H_
