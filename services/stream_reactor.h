// ProducerWriteReactor: a server-streaming call fed by a producer function
// running on its own thread. The producer emits messages into a small
// bounded queue (blocking while the client reads slowly, so memory stays
// flat); emit returns false once the client has gone, and the producer's
// returned status ends the call. For long audit streams: histories,
// verification progress, exports, rebuild progress.
//
// Thread-safe.
#ifndef TRIPDESK_SERVICES_STREAM_REACTOR_H_
#define TRIPDESK_SERVICES_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "services/grpc_status.h"

namespace tripdesk::services {

template <typename T>
class ProducerWriteReactor final : public grpc::ServerWriteReactor<T>,
                                   public std::enable_shared_from_this<ProducerWriteReactor<T>> {
 public:
  using Emit = std::function<bool(T)>;
  using Producer = std::function<absl::Status(const Emit& emit)>;

  static grpc::ServerWriteReactor<T>* Start(Producer producer, size_t capacity = 32) {
    std::shared_ptr<ProducerWriteReactor> reactor(new ProducerWriteReactor(capacity));
    reactor->self_ = reactor;
    std::weak_ptr<ProducerWriteReactor> weak = reactor;
    std::thread([weak, producer = std::move(producer)] {
      const Emit emit = [&weak](T item) {
        std::shared_ptr<ProducerWriteReactor> self = weak.lock();
        return self != nullptr && self->Push(std::move(item));
      };
      const absl::Status status = producer(emit);
      if (std::shared_ptr<ProducerWriteReactor> self = weak.lock()) self->Close(status);
    }).detach();
    return reactor.get();
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) cancelled_ = true;
    space_cv_.notify_all();
    Advance(lock);
  }

  void OnCancel() override {
    std::unique_lock<std::mutex> lock(mu_);
    cancelled_ = true;
    space_cv_.notify_all();
    Advance(lock);
  }

  void OnDone() override { self_.reset(); }

 private:
  explicit ProducerWriteReactor(size_t capacity) : capacity_(capacity) {}

  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    space_cv_.wait(lock, [&] { return queue_.size() < capacity_ || cancelled_; });
    if (cancelled_) return false;
    queue_.push_back(std::move(item));
    Advance(lock);
    return true;
  }

  void Close(const absl::Status& status) {
    std::unique_lock<std::mutex> lock(mu_);
    closed_ = true;
    status_ = ToGrpcStatus(status);
    Advance(lock);
  }

  // Starts the next write, or finishes the call when nothing is left to do.
  // Called with the lock held; releases it before calling into gRPC.
  void Advance(std::unique_lock<std::mutex>& lock) {
    if (writing_ || finished_) return;
    if (cancelled_) {
      finished_ = true;
      lock.unlock();
      this->Finish(grpc::Status::CANCELLED);
      return;
    }
    if (!queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      space_cv_.notify_all();
      lock.unlock();
      this->StartWrite(&current_);
      return;
    }
    if (closed_) {
      finished_ = true;
      lock.unlock();
      this->Finish(status_);
    }
  }

  const size_t capacity_;
  std::shared_ptr<ProducerWriteReactor> self_;
  std::mutex mu_;
  std::condition_variable space_cv_;
  std::deque<T> queue_;
  T current_;
  bool writing_ = false;
  bool cancelled_ = false;
  bool closed_ = false;
  bool finished_ = false;
  grpc::Status status_;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_STREAM_REACTOR_H_
