#include "services/event_log_service.h"

#include <openssl/sha.h>

#include <deque>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/grpc_status.h"
#include "services/identity.h"
#include "workflows/registry.h"

namespace tripdesk::services {
namespace {

using eventstore::EventStore;

constexpr uint32_t kDefaultPage = 100;
constexpr uint32_t kMaxPage = 1000;

absl::StatusOr<size_t> PageSize(uint32_t limit) {
  if (limit == 0) return kDefaultPage;
  if (limit > kMaxPage) {
    return absl::InvalidArgumentError(
        absl::StrFormat("limit: %d is above the maximum page of %d", limit, kMaxPage));
  }
  return limit;
}

// NOT_FOUND for a name that is no stream's says how streams are named.
absl::Status WithStreamNameHint(absl::Status status, absl::string_view stream) {
  if (status.code() != absl::StatusCode::kNotFound) return status;
  const std::string hint = workflows::StreamNameHint(stream);
  return hint.empty() ? status : absl::NotFoundError(absl::StrCat(status.message(), "; ", hint));
}

absl::Status ReadStreamPage(EventStore& store, const v1::ReadStreamRequest& request,
                            v1::ReadStreamResponse& response) {
  absl::StatusOr<size_t> limit = PageSize(request.limit());
  if (!limit.ok()) return limit.status();
  absl::StatusOr<eventstore::StreamHead> head = store.GetStreamHead(request.stream());
  if (!head.ok()) return WithStreamNameHint(head.status(), request.stream());
  absl::StatusOr<std::vector<eventstore::Record>> records =
      store.ReadStream(request.stream(), request.from_revision(), *limit);
  if (!records.ok()) return records.status();
  for (eventstore::Record& r : *records) *response.add_records() = std::move(r);
  response.set_last_revision(head->revision);
  const uint64_t next = response.records_size() > 0
                            ? response.records().rbegin()->revision() + 1
                            : request.from_revision();
  response.set_end_of_stream(next > head->revision);
  return absl::OkStatus();
}

absl::Status ReadAllPage(EventStore& store, const v1::ReadAllRequest& request,
                         v1::ReadAllResponse& response) {
  absl::StatusOr<size_t> limit = PageSize(request.limit());
  if (!limit.ok()) return limit.status();
  const uint64_t last = store.LastPosition();
  absl::StatusOr<std::vector<eventstore::Record>> records =
      store.ReadAll(request.from_position(), *limit);
  if (!records.ok()) return records.status();
  for (eventstore::Record& r : *records) *response.add_records() = std::move(r);
  response.set_last_position(std::max(last, store.LastPosition()));
  return absl::OkStatus();
}

absl::StatusOr<eventstore::ExpectedRevision> FromProto(
    const v1::ExpectedRevision& expected, size_t index) {
  switch (expected.kind_case()) {
    case v1::ExpectedRevision::kAny:
      return eventstore::ExpectedRevision::Any();
    case v1::ExpectedRevision::kNoStream:
      return eventstore::ExpectedRevision::NoStream();
    case v1::ExpectedRevision::kStreamExists:
      return eventstore::ExpectedRevision::StreamExists();
    case v1::ExpectedRevision::kExact:
      return eventstore::ExpectedRevision::Exact(expected.exact());
    case v1::ExpectedRevision::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "streams[", index,
      "].expected_revision: not set or unknown; use any, no_stream, "
      "stream_exists or exact"));
}

absl::StatusOr<eventstore::AppendRequest> FromProto(const v1::AppendRequest& request,
                                                    const workflows::Actor& actor) {
  eventstore::AppendRequest out;
  out.command_id = request.command_id();
  if (!out.command_id.empty()) {
    // A raw append's id stands for the whole request and its caller.
    const std::string bytes = absl::StrCat(actor.id, std::string(1, '\0'), request.SerializeAsString());
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
    out.command_fingerprint.assign(reinterpret_cast<const char*>(digest), sizeof(digest));
  }
  out.correlation_id = request.correlation_id();
  out.actor = {actor.id, actor.role};
  for (int i = 0; i < request.streams_size(); ++i) {
    const v1::AppendStream& s = request.streams(i);
    absl::StatusOr<eventstore::ExpectedRevision> expected =
        FromProto(s.expected_revision(), i);
    if (!expected.ok()) return expected.status();
    eventstore::StreamAppend& sa = out.streams.emplace_back();
    sa.stream = s.stream();
    sa.expected = *expected;
    for (const v1::AppendEvent& e : s.events()) {
      sa.events.push_back({e.event_type(), e.payload()});
    }
  }
  return out;
}

// Identity and the access policy for one EventLog RPC.
absl::Status Allowed(Authenticator& auth, const grpc::CallbackServerContext& context,
                     absl::string_view method, absl::Time* expires = nullptr) {
  return auth.Admit(context, absl::StrCat("tripdesk.v1.EventLog/", method), expires).status();
}

// How often live subscriptions are checked for an expired token.
constexpr absl::Duration kExpiryCheck = absl::Milliseconds(250);

}  // namespace

// Streams the log from a position: pages read from the store, and when the
// subscriber has caught up, a commit watch instead of a blocked thread. Only
// the page being sent is held in memory, so a slow client costs no more than
// that and never holds up appends.
class SubscribeReactor final : public grpc::ServerWriteReactor<v1::RecordEnvelope>,
                               public std::enable_shared_from_this<SubscribeReactor> {
 public:
  // `expires`: the last instant the subscriber's token is accepted.
  SubscribeReactor(EventStore* store, uint64_t from, absl::Time expires)
      : store_(store), next_(from), expires_(expires) {}

  void Start() {
    self_ = shared_from_this();
    Pump();
  }

  // Refuses the subscription; OnDone then releases the reactor.
  void Refuse(grpc::Status status) {
    self_ = shared_from_this();
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
    }
    Finish(std::move(status));
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      write_in_flight_ = false;
      if (!ok) {
        if (finished_) return;
        finished_ = true;
      } else {
        next_ = current_.position() + 1;
      }
    }
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "subscriber went away"));
      return;
    }
    Pump();
  }

  void OnCancel() override { Stop(grpc::Status::CANCELLED); }

  // Ends the stream with `status` as soon as no write is in flight.
  void Stop(grpc::Status status) {
    bool finish = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_) return;
      cancelled_ = true;
      stop_status_ = status;
      if (watch_ != 0 && store_->CancelWatch(watch_)) {
        watch_ = 0;
        if (!finished_ && !write_in_flight_) finish = finished_ = true;
      }
    }
    if (finish) Finish(std::move(status));
  }

  void OnDone() override { self_.reset(); }

  // Ends the stream with UNAUTHENTICATED once the token has expired.
  void ExpireIfDue(absl::Time now) {
    if (now <= expires_) return;
    uint64_t next = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      next = next_;
    }
    Stop(Expired(next));
  }

 private:
  static grpc::Status Expired(uint64_t next) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("the token expired during the subscription; subscribe again "
                                     "with a fresh token from position ",
                                     next));
  }

  void Pump() {
    grpc::Status finish_with;
    bool write = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      // No record leaves after the token expired, even between two checks
      // of the expiry loop.
      if (!cancelled_ && absl::Now() > expires_) {
        cancelled_ = true;
        stop_status_ = Expired(next_);
      }
      if (cancelled_) {
        finished_ = true;
        finish_with = stop_status_;
      } else if (page_.empty()) {
        absl::StatusOr<std::vector<eventstore::Record>> page =
            store_->ReadAll(next_, kPage);
        if (!page.ok()) {
          finished_ = true;
          finish_with = ToGrpcStatus(page.status());
        } else if (page->empty()) {
          std::weak_ptr<SubscribeReactor> weak = weak_from_this();
          watch_ = store_->WatchCommitted(next_ - 1, [weak] {
            if (std::shared_ptr<SubscribeReactor> self = weak.lock()) {
              {
                std::lock_guard<std::mutex> lock(self->mu_);
                self->watch_ = 0;
              }
              self->Pump();
            }
          });
          if (watch_ == 0) {
            finished_ = true;
            finish_with = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                       "the server is shutting down");
          } else {
            return;
          }
        } else {
          page_.assign(std::make_move_iterator(page->begin()),
                       std::make_move_iterator(page->end()));
        }
      }
      if (!finished_) {
        current_ = std::move(page_.front());
        page_.pop_front();
        write = write_in_flight_ = true;
      }
    }
    if (write) {
      StartWrite(&current_);
    } else {
      Finish(finish_with);
    }
  }

  static constexpr size_t kPage = 256;
  EventStore* store_;
  std::shared_ptr<SubscribeReactor> self_;
  std::mutex mu_;
  uint64_t next_;
  const absl::Time expires_;
  std::deque<eventstore::Record> page_;
  v1::RecordEnvelope current_;
  EventStore::WatchId watch_ = 0;
  bool write_in_flight_ = false;
  bool cancelled_ = false;
  grpc::Status stop_status_;
  bool finished_ = false;
};

EventLogService::EventLogService(eventstore::EventStore* store, EventLogServiceOptions options,
                                 Authenticator* auth)
    : store_(store), options_(options), auth_(auth), expirer_([this] { ExpireLoop(); }) {}

EventLogService::~EventLogService() {
  StopSubscriptions();
  if (expirer_.joinable()) expirer_.join();
}

void EventLogService::ExpireLoop() {
  std::unique_lock<std::mutex> lock(subscribers_mu_);
  while (!stopping_) {
    expire_cv_.wait_for(lock, absl::ToChronoMilliseconds(kExpiryCheck));
    std::vector<std::shared_ptr<SubscribeReactor>> live;
    for (const std::weak_ptr<SubscribeReactor>& weak : subscribers_) {
      if (std::shared_ptr<SubscribeReactor> s = weak.lock()) live.push_back(std::move(s));
    }
    lock.unlock();
    const absl::Time now = absl::Now();
    for (const std::shared_ptr<SubscribeReactor>& s : live) s->ExpireIfDue(now);
    live.clear();
    lock.lock();
  }
}

void EventLogService::StopSubscriptions() {
  std::vector<std::weak_ptr<SubscribeReactor>> subscribers;
  {
    std::lock_guard<std::mutex> lock(subscribers_mu_);
    stopping_ = true;
    subscribers.swap(subscribers_);
  }
  expire_cv_.notify_all();
  for (const std::weak_ptr<SubscribeReactor>& weak : subscribers) {
    if (std::shared_ptr<SubscribeReactor> s = weak.lock()) {
      s->Stop(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                           "the server is shutting down; resubscribe from your "
                           "next position"));
    }
  }
}

grpc::ServerUnaryReactor* EventLogService::ReadStream(
    grpc::CallbackServerContext* context, const v1::ReadStreamRequest* request,
    v1::ReadStreamResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = Allowed(*auth_, *context, "ReadStream");
  if (status.ok()) status = ReadStreamPage(*store_, *request, *response);
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* EventLogService::GetStreamHead(
    grpc::CallbackServerContext* context, const v1::GetStreamHeadRequest* request,
    v1::StreamHead* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status allowed = Allowed(*auth_, *context, "GetStreamHead"); !allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  absl::StatusOr<eventstore::StreamHead> head = store_->GetStreamHead(request->stream());
  if (head.ok()) {
    response->set_stream(request->stream());
    response->set_revision(head->revision);
    response->set_position(head->position);
    response->set_hash(head->hash);
  }
  reactor->Finish(ToGrpcStatus(WithStreamNameHint(head.status(), request->stream())));
  return reactor;
}

grpc::ServerUnaryReactor* EventLogService::ReadAll(
    grpc::CallbackServerContext* context, const v1::ReadAllRequest* request,
    v1::ReadAllResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = Allowed(*auth_, *context, "ReadAll");
  if (status.ok()) status = ReadAllPage(*store_, *request, *response);
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerWriteReactor<v1::RecordEnvelope>* EventLogService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  const uint64_t from = std::max<uint64_t>(request->from_position(), 1);
  const uint64_t last = store_->LastPosition();
  absl::Time expires;
  const absl::Status allowed = Allowed(*auth_, *context, "Subscribe", &expires);
  auto reactor = std::make_shared<SubscribeReactor>(store_, from, expires);
  std::unique_lock<std::mutex> lock(subscribers_mu_);
  if (!allowed.ok()) {
    lock.unlock();
    reactor->Refuse(ToGrpcStatus(allowed));
  } else if (stopping_) {
    lock.unlock();
    reactor->Refuse(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "the server is shutting down; reconnect later"));
  } else if (from > last + 1) {
    reactor->Refuse(grpc::Status(
        grpc::StatusCode::OUT_OF_RANGE,
        absl::StrFormat("from_position: %d is beyond the end of the log (last "
                        "position %d); subscribe from at most %d",
                        from, last, last + 1)));
  } else {
    std::erase_if(subscribers_, [](const std::weak_ptr<SubscribeReactor>& w) {
      return w.expired();
    });
    subscribers_.push_back(reactor);
    lock.unlock();
    reactor->Start();
  }
  return reactor.get();
}

grpc::ServerUnaryReactor* EventLogService::Append(grpc::CallbackServerContext* context,
                                                  const v1::AppendRequest* request,
                                                  v1::AppendOutcome* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<workflows::Actor> actor = auth_->Admit(*context, "tripdesk.v1.EventLog/Append");
  absl::Status allowed = actor.status();
  if (!allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  if (!options_.enable_raw_append) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::UNIMPLEMENTED,
        "raw appends are disabled: commands reach the log through workflows; "
        "tests start tripdeskd with --enable_raw_append"));
    return reactor;
  }
  absl::StatusOr<eventstore::AppendRequest> append = FromProto(*request, *actor);
  for (size_t i = 0; append.ok() && i < append->streams.size(); ++i) {
    // The views trust every record of a case stream to be a decided event.
    if (workflows::IsCaseStream(append->streams[i].stream)) {
      append = absl::InvalidArgumentError(absl::StrCat(
          "streams[", i, "].stream: case streams are written by workflow commands only"));
    }
  }
  if (!append.ok()) {
    reactor->Finish(ToGrpcStatus(append.status()));
    return reactor;
  }
  store_->AppendAsync(*std::move(append),
                      [reactor, response](absl::StatusOr<eventstore::AppendOutcome> r) {
                        if (r.ok()) *response = *std::move(r);
                        reactor->Finish(ToGrpcStatus(r.status()));
                      });
  return reactor;
}

}  // namespace tripdesk::services
