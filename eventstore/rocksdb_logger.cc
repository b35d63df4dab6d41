#include "eventstore/rocksdb_logger.h"

#include <cstdarg>
#include <cstdio>

#include "spdlog/spdlog.h"

namespace tripdesk::eventstore {
namespace {

class SpdlogRocksDbLogger final : public rocksdb::Logger {
 public:
  explicit SpdlogRocksDbLogger(std::string name)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), name_(std::move(name)) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      spdlog::error("rocksdb {}: {}", name_, line);
    } else {
      spdlog::warn("rocksdb {}: {}", name_, line);
    }
  }

 private:
  std::string name_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> MakeRocksDbLogger(std::string name) {
  return std::make_shared<SpdlogRocksDbLogger>(std::move(name));
}

}  // namespace tripdesk::eventstore
