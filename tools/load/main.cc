// tripdesk-load: drives whole manual car booking cases through tripdeskd at
// a target rate (open loop: latency counts from when a command was due, so a
// slow server cannot hide it by slowing the generator), or as fast as the
// in-flight limit allows. Prints a progress line every second, then
// commands/s, latency percentiles and errors by code, also as JSON; can
// record every acknowledged command id with its log positions.
#include <google/protobuf/text_format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/synchronization/mutex.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "tripdesk/v1/audit.grpc.pb.h"
#include "tools/client_credentials.h"
#include "tripdesk/v1/cases.grpc.pb.h"
#include "tripdesk/v1/log.grpc.pb.h"
#include "tools/commands/car_booking.h"
#include "tools/commands/rv.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tripdeskd address");
ABSL_FLAG(std::string, token, "",
          "bearer token with the agent, tech_spoc, supervisor, auditor and admin roles (default: $TRIPDESK_TOKEN, "
          "else one minted with the development key in --dev_dir)");
ABSL_FLAG(std::string, dev_dir, "./data/dev", "where tripdeskd wrote its development key");
ABSL_FLAG(int32_t, duration_seconds, 10, "how long to send commands");
ABSL_FLAG(int32_t, rate, 0, "target commands per second (open loop); 0: as fast as in-flight allows");
ABSL_FLAG(int32_t, in_flight, 64, "most commands in flight at once");
ABSL_FLAG(int32_t, cases, 256, "cases driven concurrently");
ABSL_FLAG(std::string, mix, "offline=4,il=1",
          "weights of the branches: offline and il (car booking), open (a car booking opened and "
          "left open, its SLA timers pending), rv (RV reservation to RA close), fleet (a fleet "
          "booking through the wizard to its request, then cancelled), change (a flight's dates "
          "changed, paid, reissued, sent and closed)");
ABSL_FLAG(int32_t, rv_units, 0,
          "RV fleet the server knows as LOAD00000.. (class C25): rv cases rent them one at a time, "
          "starting from what the units' streams say (units still rented out are skipped)");
ABSL_FLAG(std::string, rv_today, "",
          "the day RV rentals are picked up (YYYY-MM-DD): the server's today; default the UTC date "
          "now (a server run with --test_clock_start needs its day)");
ABSL_FLAG(int32_t, print_rv_fleet, 0,
          "print N reference-data unit entries for the load fleet, and the load user's access, "
          "and exit (for --reference_data)");
ABSL_FLAG(int32_t, print_fleet_assets, 0,
          "print N reference-data asset entries for the fleet section (vans LOADV00000..) and "
          "exit: fleet cases spread over the assets, so a desk-sized fleet is not one hot stream");
ABSL_FLAG(std::string, out_json, "", "write the summary as JSON here");
ABSL_FLAG(std::string, acks, "", "append 'command_id first_position last_position' per ack here");
ABSL_FLAG(std::string, run_id, "", "prefix of case and command ids (default: the start time)");
ABSL_FLAG(std::string, verify_acks, "",
          "instead of loading: check that every command in this ack file is in the log at its "
          "positions, that the log verifies, and that rebuilt views equal the live ones");

namespace tripdesk::load {
namespace {

// "Bearer <token>" for every call: one token holding every role the cases
// need, so the server picks the right one per command.
std::string& BearerStorage() {
  static auto* const kBearer = new std::string();
  return *kBearer;
}
const std::string& Bearer() { return BearerStorage(); }
using Clock = std::chrono::steady_clock;

struct Step {
  v1::CaseCommand command;
  std::string role;
};

// A case's own confirmation number (4 to 20 letters, digits or '-'): no
// two open cases may share one. Letters only, so no run of digits looks
// like a card number.
std::string ConfirmationNumberOf(const std::string& case_id) {
  std::string number = "L-";
  uint64_t h = std::hash<std::string>()(case_id);
  for (int i = 0; i < 13; ++i, h /= 26) number.push_back(static_cast<char>('A' + h % 26));
  return number;
}

// The commands of one case of a branch, in order: the tests' builders.
std::vector<Step> Script(bool offline) {
  const absl::Time pick = absl::Now() + absl::Hours(24 * 14);
  const absl::Time drop = pick + absl::Hours(72);
  std::vector<Step> steps;
  steps.push_back({commands::AsCaseCommand(commands::Request(pick, drop)), "agent"});
  for (auto& [command, role] :
       offline ? commands::OfflineSteps(pick, drop) : commands::IlSteps(pick, drop)) {
    steps.push_back({commands::AsCaseCommand(std::move(command)), role});
  }
  return steps;
}

// An RV rental from reservation to close: picked up today, back tomorrow.
// The unit and its readings are filled in per case (see Send).
std::vector<Step> RvScript() {
  absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  if (const std::string day = absl::GetFlag(FLAGS_rv_today);
      !day.empty() && !absl::ParseCivilTime(day, &today)) {
    std::cerr << "--rv_today: expected YYYY-MM-DD, got '" << day << "'\n";
    std::exit(2);
  }
  const std::string pick = absl::FormatCivilTime(today);
  const std::string back = absl::FormatCivilTime(today + 1);
  // More than any estimate: the balance comes back at close.
  return {{commands::AsCaseCommand(commands::Retail(pick, back)), "agent"},
          {commands::AsCaseCommand(commands::OpenRa("", 500000)), "agent"},
          {commands::AsCaseCommand(commands::CloseRa(0, 7, 0, back)), "agent"}};
}

constexpr int64_t kFleetOdometer = 10000;
constexpr int64_t kFleetGenerator = 1000;

std::string FleetUnit(int i) { return absl::StrFormat("LOAD%05d", i); }

void As(grpc::ClientContext& context, const char* role);

// What the log says of a fleet unit: rented out (not free), or free with the
// readings its next rental agreement must start from.
struct UnitNow {
  bool free = true;
  int64_t odometer = kFleetOdometer;
  int64_t generator_tenths = kFleetGenerator;
};

// The fleet as earlier runs left it, from each unit's stream: a second run
// against the same server must not rent a unit an interrupted run left out,
// nor close with readings below the unit's last return.
absl::StatusOr<std::vector<UnitNow>> FleetNow(const std::shared_ptr<grpc::Channel>& channel,
                                              int32_t units) {
  auto log = v1::EventLog::NewStub(channel);
  std::vector<UnitNow> fleet(static_cast<size_t>(units));
  for (int32_t i = 0; i < units; ++i) {
    const std::string stream = absl::StrCat("unit-", FleetUnit(i));
    v1::StreamHead head;
    {
      grpc::ClientContext context;
      As(context, "auditor");
      v1::GetStreamHeadRequest request;
      request.set_stream(stream);
      grpc::Status status = log->GetStreamHead(&context, request, &head);
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) continue;  // never rented
      if (!status.ok()) {
        return absl::UnavailableError(absl::StrCat(stream, ": ", status.error_message()));
      }
    }
    grpc::ClientContext context;
    As(context, "auditor");
    v1::ReadStreamRequest request;
    request.set_stream(stream);
    request.set_from_revision(head.revision());
    request.set_limit(1);
    v1::ReadStreamResponse page;
    grpc::Status status = log->ReadStream(&context, request, &page);
    v1::SharedEvent last;
    if (!status.ok() || page.records().empty() || !last.ParseFromString(page.records(0).payload())) {
      return absl::UnavailableError(absl::StrCat(stream, ": its last event cannot be read: ",
                                                 status.error_message()));
    }
    const v1::RvUnitEvent& e = last.rv_unit();
    UnitNow& unit = fleet[static_cast<size_t>(i)];
    if (e.has_rented_out()) {
      unit.free = false;
    } else if (e.has_returned()) {
      unit.odometer = e.returned().odometer();
      unit.generator_tenths = e.returned().generator_tenths();
    }
  }
  return fleet;
}

struct CaseRun {
  std::string case_id;
  const std::vector<Step>* script = nullptr;
  size_t next = 0;
  int unit = -1;  // RV cases: the fleet unit rented
  int64_t slot = -1;  // fleet cases: which asset, when (see FleetSlot)
};

// A flight change from the booking to its close: two days later on the
// same route, EUR 83.70 due (the CLASSIC fee, the fare and tax difference),
// paid, the ticket reissued. The PNR is filled in per case (PnrOf).
std::vector<Step> ChangeScript() {
  auto change = [](const std::string& text) {
    v1::CaseCommand c;
    if (!google::protobuf::TextFormat::ParseFromString(text, c.mutable_flight_change())) std::abort();
    return Step{std::move(c), "agent"};
  };
  const absl::CivilDay day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + 30;
  auto seg = [&](const char* number, const char* from, const char* to, int days, const char* at) {
    return absl::StrCat("segments { airline: 'AZ' flight_number: '", number, "' origin: '", from,
                        "' destination: '", to, "' departure: '", absl::FormatCivilTime(day + days), "T", at,
                        "' } ");
  };
  return {change(absl::StrCat("retrieve_booking { customer { name: 'Load Traveller' email: "
                              "'traveller@example.com' } fare_family: 'CLASSIC' itinerary { ",
                              seg("2010", "FCO", "LIN", 0, "07:00"), seg("2037", "LIN", "FCO", 2, "19:00"),
                              "fare { minor_units: 18000 currency: 'EUR' } taxes { minor_units: 4000 "
                              "currency: 'EUR' } } ticket_numbers: '0551234567890' }")),
          change("confirm_current_details {}"),
          change("check_feasibility { kind: FLIGHT_CHANGE_DATES }"),
          change("record_change_decision { proceed: true }"),
          change(absl::StrCat("propose_options { options { option_id: 'A' available: true itinerary { ",
                              seg("2012", "FCO", "LIN", 2, "07:00"), seg("2039", "LIN", "FCO", 4, "19:00"),
                              "fare { minor_units: 21050 currency: 'EUR' } taxes { minor_units: 4320 "
                              "currency: 'EUR' } } } }")),
          change("record_option_decision { option_id: 'A' approved: true }"),
          change("compute_cost {}"),
          change("record_cost_decision { accepted: true }"),
          change("take_payment { amount { minor_units: 8370 currency: 'EUR' } card { token: 'tok_load' "
                 "last4: '4242' } }"),
          change("update_booking { details_checked: true ticket_numbers: '0559999999990' }"),
          change("send_itinerary {}"),
          change("confirm_itinerary_received { reminded_to_check: true }"),
          change("acknowledge_other_arrangements { effects: 'none' }"),
          change("add_booking_log_note { text: 'dates +2 days, paid, reissued' }"),
          change("record_crm_interaction { channel: CONTACT_PHONE summary: 'asked for two days later' }"),
          change("close_change {}")};
}

// A case's own PNR: six letters and digits, no two open cases alike.
std::string PnrOf(const std::string& case_id) {
  static constexpr char kChars[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  uint64_t h = std::hash<std::string>()(case_id);
  std::string pnr;
  for (int i = 0; i < 6; ++i, h /= 32) pnr.push_back(kChars[h % 32]);
  return pnr;
}

// A fleet booking through the wizard (the start, asset and account filled
// in per case), then cancelled: its asset's hold comes and goes.
std::vector<Step> FleetScript() {
  auto fleet = [](const std::string& text) {
    v1::CaseCommand c;
    if (!google::protobuf::TextFormat::ParseFromString(text, c.mutable_fleet())) std::abort();
    return Step{std::move(c), "agent"};
  };
  return {fleet("start_booking {}"), fleet("select_asset {}"),
          fleet("choose_options { duration_id: '4h' mileage_id: '100mi' extra_ids: 'sat-nav' }"),
          fleet("select_account {}"), fleet("choose_handover { mode: 'branch' }"),
          fleet("create_booking {}"), fleet("cancel_booking { reason: 'load run' }")};
}

class Generator {
 public:
  Generator(std::shared_ptr<grpc::Channel> channel, std::string run_id, std::vector<UnitNow> fleet)
      : stub_(v1::CaseService::NewStub(std::move(channel))), run_id_(std::move(run_id)) {
    offline_ = Script(true);
    il_ = Script(false);
    open_ = {offline_.front()};  // opened and left open: its SLA timers stay pending
    rv_ = RvScript();
    fleet_ = FleetScript();
    change_ = ChangeScript();
    for (const auto& part : absl::StrSplit(absl::GetFlag(FLAGS_mix), ',')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(part, '=');
      int weight = 0;
      if (!absl::SimpleAtoi(kv.second, &weight) || weight < 0 ||
          (kv.first != "offline" && kv.first != "il" && kv.first != "rv" && kv.first != "open" &&
           kv.first != "fleet" && kv.first != "change")) {
        std::cerr << "--mix: expected offline=N,il=N,open=N,rv=N,fleet=N,change=N\n";
        std::exit(2);
      }
      (kv.first == "offline" ? offline_weight_
       : kv.first == "il"    ? il_weight_
       : kv.first == "open"  ? open_weight_
       : kv.first == "fleet" ? fleet_weight_
       : kv.first == "change" ? change_weight_
                             : rv_weight_) = weight;
    }
    for (size_t i = 0; i < fleet.size(); ++i) {
      if (fleet[i].free) free_units_.push_back(static_cast<int>(i));
      odometer_.push_back(fleet[i].odometer);
      generator_.push_back(fleet[i].generator_tenths);
    }
    if (rv_weight_ > 0 && free_units_.empty()) {
      std::cerr << "--mix with rv: no unit of the fleet is free (--rv_units, and the server "
                   "started with that fleet)\n";
      std::exit(2);
    }
    if (offline_weight_ + il_weight_ + open_weight_ + rv_weight_ + fleet_weight_ + change_weight_ == 0) {
      offline_weight_ = 1;
    }
    if (fleet_weight_ > 0) {
      absl::Status s = SetUpFleet();
      if (!s.ok()) {
        std::cerr << "--mix with fleet: " << s.message() << "\n";
        std::exit(2);
      }
    }
    if (!absl::GetFlag(FLAGS_acks).empty()) {
      acks_.open(absl::GetFlag(FLAGS_acks), std::ios::app);
    }
  }

  int Run() {
    const int32_t cases = std::max(1, absl::GetFlag(FLAGS_cases));
    for (int32_t i = 0; i < cases; ++i) idle_.push_back(NewCase());
    const int32_t rate = absl::GetFlag(FLAGS_rate);
    const int32_t in_flight_limit = std::max(1, absl::GetFlag(FLAGS_in_flight));
    const auto start = Clock::now();
    const auto end = start + std::chrono::seconds(absl::GetFlag(FLAGS_duration_seconds));
    auto next_due = start;
    auto next_report = start + std::chrono::seconds(1);
    uint64_t reported = 0;
    for (;;) {
      const auto now = Clock::now();
      if (now >= end) break;
      if (now >= next_report) {
        std::lock_guard<std::mutex> lock(mu_);
        std::cerr << absl::StrFormat("%3ds: %d commands/s, %d in flight, %d errors\n",
                                     std::chrono::duration_cast<std::chrono::seconds>(now - start).count(),
                                     done_ - reported, in_flight_, errors_total_);
        reported = done_;
        next_report += std::chrono::seconds(1);
      }
      // Open loop: a command is due every 1/rate s whether or not the server
      // keeps up; its latency counts from when it was due.
      Clock::time_point due = now;
      if (rate > 0) {
        if (now < next_due) {
          std::this_thread::sleep_until(std::min(next_due, next_report));
          continue;
        }
        due = next_due;
        next_due += std::chrono::nanoseconds(1000000000LL / rate);
      }
      std::unique_lock<std::mutex> lock(mu_);
      // The server said it is unavailable (down, restarting, shutting
      // down): wait before the next call rather than spin on refusals.
      if (Clock::now() < paused_until_) {
        const Clock::time_point until = std::min({paused_until_, end, next_report});
        lock.unlock();
        std::this_thread::sleep_until(until);
        continue;
      }
      cv_.wait_until(lock, std::min(end, next_report), [&] {
        return in_flight_ < in_flight_limit && !idle_.empty();
      });
      if (in_flight_ >= in_flight_limit || idle_.empty()) continue;  // the due command waits
      CaseRun run = std::move(idle_.front());
      idle_.pop_front();
      ++in_flight_;
      lock.unlock();
      Send(std::move(run), due);
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(30), [&] { return in_flight_ == 0; });
    }
    const double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    return Report(seconds);
  }

 private:
  // Called with mu_ held (or before the run starts).
  CaseRun NewCase() {
    CaseRun run;
    run.case_id = absl::StrCat(run_id_, "-", cases_started_++);
    const int pick = static_cast<int>(random_() % (offline_weight_ + il_weight_ + open_weight_ +
                                                    rv_weight_ + fleet_weight_ + change_weight_));
    if (pick >= offline_weight_ + il_weight_ + open_weight_ + rv_weight_ + fleet_weight_) {
      run.script = &change_;
    } else if (pick >= offline_weight_ + il_weight_ + open_weight_ + rv_weight_) {
      run.script = &fleet_;
      run.slot = fleet_slots_++;
    } else if (pick >= offline_weight_ + il_weight_ + open_weight_ && !free_units_.empty()) {
      run.script = &rv_;
      run.unit = free_units_.front();
      free_units_.pop_front();
    } else if (pick >= offline_weight_ + il_weight_ && open_weight_ > 0) {
      run.script = &open_;
    } else {
      run.script = pick < offline_weight_ || il_weight_ == 0 ? &offline_ : &il_;
    }
    return run;
  }

  // An RV case is over: its unit goes back to the pool. mu_ held.
  void Release(CaseRun& run) {
    if (run.unit >= 0) free_units_.push_back(run.unit);
    run.unit = -1;
  }

  void Send(CaseRun run, Clock::time_point due) {
    const Step& step = (*run.script)[run.next];
    auto call = std::make_shared<Call>();
    call->due = due;
    call->context.AddMetadata("authorization", Bearer());
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    call->command_id = absl::StrCat(run.case_id, "-", run.next);
    v1::CaseCommand command = step.command;
    if (run.unit >= 0) {  // the unit this case rents, and its readings
      std::lock_guard<std::mutex> lock(mu_);
      v1::RvCommand& rv = *command.mutable_rv();
      if (rv.has_open_rental_agreement()) {
        rv.mutable_open_rental_agreement()->set_vehicle_number(FleetUnit(run.unit));
        rv.mutable_open_rental_agreement()->set_generator_tenths(generator_[run.unit]);
      } else if (rv.has_close_rental_agreement()) {
        rv.mutable_close_rental_agreement()->set_odometer(odometer_[run.unit] + 150);
        rv.mutable_close_rental_agreement()->set_generator_tenths(generator_[run.unit] + 15);
      }
    }
    if (run.slot >= 0) FleetSlot(run.slot, *command.mutable_fleet());
    if (command.flight_change().has_retrieve_booking()) {
      command.mutable_flight_change()->mutable_retrieve_booking()->set_booking_reference(PnrOf(run.case_id));
    }
    if (command.car_booking().has_confirm_booking()) {
      // Confirmation numbers are unique among open cases: one per case.
      command.mutable_car_booking()->mutable_confirm_booking()->set_confirmation_number(
          ConfirmationNumberOf(run.case_id));
    }
    if (run.next == 0) {
      call->open.set_case_id(run.case_id);
      call->open.set_command_id(call->command_id);
      *call->open.mutable_command() = std::move(command);
    } else {
      call->submit.set_case_id(run.case_id);
      call->submit.set_command_id(call->command_id);
      *call->submit.mutable_command() = std::move(command);
    }
    call->run = std::move(run);
    auto on_done = [this, call](grpc::Status status) { Done(call, status); };
    if (call->run.next == 0) {
      stub_->async()->OpenCase(&call->context, &call->open, &call->reply, on_done);
    } else {
      stub_->async()->SubmitCommand(&call->context, &call->submit, &call->reply, on_done);
    }
  }

  struct Call {
    grpc::ClientContext context;
    v1::OpenCaseRequest open;
    v1::SubmitCommandRequest submit;
    v1::CommandReply reply;
    std::string command_id;
    CaseRun run;
    Clock::time_point due;
  };

  void Done(const std::shared_ptr<Call>& call, const grpc::Status& status) {
    const double micros =
        std::chrono::duration<double, std::micro>(Clock::now() - call->due).count();
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    ++done_;
    CaseRun run = std::move(call->run);
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      // Exponential backoff, 50 ms doubling to 2 s; reset by a success.
      backoff_ = std::min(std::chrono::milliseconds(2000),
                          std::max(std::chrono::milliseconds(50), backoff_ * 2));
      paused_until_ = std::max(paused_until_, Clock::now() + backoff_);
    }
    if (status.ok()) {
      backoff_ = std::chrono::milliseconds(0);
      // Percentiles are of acknowledged commands: a refusal or an
      // unreachable server answers fast and would flatter them.
      latencies_.push_back(micros);
      if (acks_.is_open()) {
        acks_ << call->command_id << " " << call->reply.first_position() << " "
              << call->reply.last_position() << "\n";
      }
      if (run.unit >= 0 && call->submit.command().rv().has_close_rental_agreement()) {
        odometer_[run.unit] += 150;
        generator_[run.unit] += 15;
      }
      ++run.next;
      if (run.next < run.script->size()) {
        idle_.push_back(std::move(run));
      } else {
        Release(run);
        idle_.push_back(NewCase());
      }
    } else {
      ++errors_[status.error_code()];
      ++errors_total_;
      first_error_.try_emplace(status.error_code(), status.error_message());
      // A refused case is abandoned; a unit whose RA may be open stays out
      // of the pool rather than be rented twice.
      if (run.next < 1) Release(run);
      idle_.push_back(NewCase());
    }
    cv_.notify_all();
  }

  int Report(double seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    if (acks_.is_open()) acks_.flush();
    std::sort(latencies_.begin(), latencies_.end());
    auto pct = [&](double p) {
      if (latencies_.empty()) return 0.0;
      return latencies_[std::min(latencies_.size() - 1,
                                 static_cast<size_t>(p / 100.0 * latencies_.size()))];
    };
    const double ok = static_cast<double>(done_ - errors_total_);
    std::string errors_json;
    for (const auto& [code, n] : errors_) {
      absl::StrAppend(&errors_json, errors_json.empty() ? "" : ",", "\"", code, "\":", n);
    }
    const std::string json = absl::StrFormat(
        "{\"seconds\":%.2f,\"commands\":%d,\"ok\":%.0f,\"commands_per_s\":%.1f,"
        "\"latency_us\":{\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,\"p99.9\":%.0f},"
        "\"errors_by_code\":{%s},\"cases_started\":%d,\"target_rate\":%d}",
        seconds, done_, ok, ok / seconds, pct(50), pct(90), pct(99), pct(99.9), errors_json,
        cases_started_, absl::GetFlag(FLAGS_rate));
    std::cout << absl::StrFormat(
        "%.0f commands/s over %.1f s (%d commands, %d errors)\n"
        "latency µs of acknowledged commands: p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f\n",
        ok / seconds, seconds, done_, errors_total_, pct(50), pct(90), pct(99), pct(99.9));
    for (const auto& [code, message] : first_error_) {
      std::cout << absl::StrFormat("errors with code %d (%d), the first: %s\n", code,
                                   errors_.at(code), message);
    }
    std::cout << json << "\n";
    if (!absl::GetFlag(FLAGS_out_json).empty()) {
      std::ofstream(absl::GetFlag(FLAGS_out_json)) << json << "\n";
    }
    return errors_total_ == 0 ? 0 : 1;
  }

  // One account for every fleet case (approved, one verified driver, so the
  // driver is selected with it), made through a case before the run.
  absl::Status SetUpFleet() {
    auto call = [&](auto rpc, const auto& request, auto* response) {
      grpc::ClientContext context;
      As(context, "agent");
      return ((*stub_).*rpc)(&context, request, response);
    };
    v1::GetReferenceDataRequest ask;
    ask.set_section("fleet");
    v1::ReferenceData data;
    if (grpc::Status s = call(&v1::CaseService::Stub::GetReferenceData, ask, &data); !s.ok()) {
      return absl::UnavailableError(s.error_message());
    }
    for (const v1::FleetAsset& a : data.fleet().assets()) fleet_assets_.push_back(a.id());
    if (fleet_assets_.empty() || !absl::LoadTimeZone(data.fleet().zone(), &fleet_zone_)) {
      return absl::FailedPreconditionError("the server's reference data has no fleet");
    }
    fleet_base_ = absl::FromCivil(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + 2,
                                  absl::UTCTimeZone());
    const std::string setup = absl::StrCat(run_id_, "-fleet-account");
    v1::CommandReply reply;
    auto step = [&](const std::string& text, bool open = false) -> absl::Status {
      v1::CaseCommand command;
      if (!google::protobuf::TextFormat::ParseFromString(text, command.mutable_fleet())) {
        return absl::InternalError(text);
      }
      grpc::Status s;
      if (open) {
        v1::OpenCaseRequest request;
        request.set_case_id(setup);
        *request.mutable_command() = std::move(command);
        s = call(&v1::CaseService::Stub::OpenCase, request, &reply);
      } else {
        v1::SubmitCommandRequest request;
        request.set_case_id(setup);
        *request.mutable_command() = std::move(command);
        s = call(&v1::CaseService::Stub::SubmitCommand, request, &reply);
      }
      return s.ok() ? absl::OkStatus()
                    : absl::FailedPreconditionError(absl::StrCat(text, ": ", s.error_message()));
    };
    const std::string start = absl::FormatTime("%Y-%m-%dT%H:%M", fleet_base_ - absl::Hours(20), fleet_zone_);
    for (const std::string& text :
         {absl::StrCat("start_booking { start: '", start, "' }"),
          absl::StrCat("select_asset { asset_id: '", fleet_assets_[0], "' }"),
          std::string("choose_options { duration_id: '4h' mileage_id: '100mi' }"),
          std::string("add_account { account { name: 'Load Ltd' email: 'load@example.com' } }")}) {
      if (absl::Status s = step(text, text.rfind("start_booking", 0) == 0); !s.ok()) return s;
    }
    fleet_account_ = reply.reservation().fleet().added_account_id();
    if (absl::Status s = step(absl::StrCat("approve_account { account_id: '", fleet_account_, "' }"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = step(absl::StrCat("add_driver { account_id: '", fleet_account_,
                                           "' driver { name: 'Load Driver' licence_number: 'LOAD1' "
                                           "licence_valid_until: '2099-12-31' } }"));
        !s.ok()) {
      return s;
    }
    const std::string driver = reply.reservation().fleet().added_driver_id();
    if (absl::Status s = step(absl::StrCat("verify_driver { account_id: '", fleet_account_,
                                           "' driver_id: '", driver, "' }"));
        !s.ok()) {
      return s;
    }
    return step("cancel_booking { reason: 'account set up' }");
  }

  // Case `slot`'s asset and start: the assets in turn, four hours apart, so
  // no two load bookings overlap.
  void FleetSlot(int64_t slot, v1::FleetBookingCommand& c) const {
    const int64_t n = static_cast<int64_t>(fleet_assets_.size());
    if (c.has_start_booking()) {
      c.mutable_start_booking()->set_start(absl::FormatTime(
          "%Y-%m-%dT%H:%M", fleet_base_ + absl::Hours(4 * (slot / n)), fleet_zone_));
    } else if (c.has_select_asset()) {
      c.mutable_select_asset()->set_asset_id(fleet_assets_[static_cast<size_t>(slot % n)]);
    } else if (c.has_select_account()) {
      c.mutable_select_account()->set_account_id(fleet_account_);
    }
  }

  std::unique_ptr<v1::CaseService::Stub> stub_;
  const std::string run_id_;
  std::vector<Step> fleet_;
  int fleet_weight_ = 0;
  std::vector<Step> change_;
  int change_weight_ = 0;
  int64_t fleet_slots_ = 0;
  std::vector<std::string> fleet_assets_;
  absl::TimeZone fleet_zone_;
  absl::Time fleet_base_;
  std::string fleet_account_;
  std::vector<Step> offline_;
  std::vector<Step> rv_;
  int rv_weight_ = 0;
  std::deque<int> free_units_;
  std::vector<int64_t> odometer_;
  std::vector<int64_t> generator_;
  std::vector<Step> il_;
  std::vector<Step> open_;
  int offline_weight_ = 0;
  int il_weight_ = 0;
  int open_weight_ = 0;
  std::mt19937 random_{12345};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<CaseRun> idle_;
  int32_t in_flight_ = 0;
  uint64_t done_ = 0;
  uint64_t errors_total_ = 0;
  uint64_t cases_started_ = 0;
  std::map<int, uint64_t> errors_;
  std::map<int, std::string> first_error_;  // by code, to say what went wrong
  std::vector<double> latencies_;  // of acknowledged commands only
  Clock::time_point paused_until_;
  std::chrono::milliseconds backoff_{0};
  std::ofstream acks_;
};

void As(grpc::ClientContext& context, const char* /*role*/) {
  context.AddMetadata("authorization", Bearer());
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
}

// Every case view and tracker row, in list order.
std::string Views(v1::CaseService::Stub& cases, uint64_t min_position) {
  std::string all;
  v1::ListCasesRequest list;
  list.set_page_size(500);
  list.set_min_position(min_position);
  for (;;) {
    grpc::ClientContext context;
    As(context, "auditor");
    v1::ListCasesResponse page;
    if (!cases.ListCases(&context, list, &page).ok()) return "ERROR";
    all += page.SerializeAsString();
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  v1::ListTrackerRowsRequest rows;
  rows.set_page_size(500);
  rows.set_min_position(min_position);
  for (;;) {
    grpc::ClientContext context;
    As(context, "auditor");
    v1::ListTrackerRowsResponse page;
    if (!cases.ListTrackerRows(&context, rows, &page).ok()) return "ERROR";
    all += page.SerializeAsString();
    if (page.next_page_token().empty()) break;
    rows.set_page_token(page.next_page_token());
  }
  return all;
}

// The checks of the crash-under-load test; 0 when everything holds.
int VerifyAcks(const std::shared_ptr<grpc::Channel>& channel, const std::string& path) {
  std::map<uint64_t, std::string> expected;  // position -> command id
  std::ifstream in(path);
  std::string id;
  uint64_t first = 0, last = 0;
  size_t acks = 0;
  while (in >> id >> first >> last) {
    for (uint64_t p = first; p <= last; ++p) expected[p] = id;
    ++acks;
  }
  auto log = v1::EventLog::NewStub(channel);
  uint64_t from = 1, records = 0, last_position = 0;
  for (;;) {
    grpc::ClientContext context;
    As(context, "auditor");
    v1::ReadAllRequest request;
    request.set_from_position(from);
    request.set_limit(1000);
    v1::ReadAllResponse page;
    grpc::Status status = log->ReadAll(&context, request, &page);
    if (!status.ok()) {
      std::cerr << "reading the log: " << status.error_message() << "\n";
      return 1;
    }
    for (const v1::RecordEnvelope& r : page.records()) {
      if (r.position() != last_position + 1) {
        std::cerr << "gap: position " << last_position + 1 << " is missing\n";
        return 1;
      }
      last_position = r.position();
      ++records;
      auto it = expected.find(r.position());
      if (it != expected.end() && it->second != r.command_id()) {
        std::cerr << "position " << r.position() << " holds " << r.command_id() << ", acknowledged as "
                  << it->second << "\n";
        return 1;
      }
      if (it != expected.end()) expected.erase(it);
    }
    if (page.records_size() == 0) break;
    from = page.records().rbegin()->position() + 1;
  }
  if (!expected.empty()) {
    std::cerr << expected.size() << " acknowledged records are missing, e.g. position "
              << expected.begin()->first << " (" << expected.begin()->second << ")\n";
    return 1;
  }
  auto audit = v1::AuditService::NewStub(channel);
  {
    grpc::ClientContext context;
    As(context, "auditor");
    auto reader = audit->VerifyLog(&context, v1::VerifyLogRequest());
    v1::VerifyProgress progress, final;
    while (reader->Read(&progress)) final = progress;
    if (!reader->Finish().ok() || final.has_problem() || !final.done()) {
      std::cerr << "the log does not verify: " << final.problem().problem() << "\n";
      return 1;
    }
  }
  auto cases = v1::CaseService::NewStub(channel);
  const std::string live = Views(*cases, last_position);
  {
    grpc::ClientContext context;
    As(context, "supervisor");
    auto reader = audit->RebuildViews(&context, v1::RebuildViewsRequest());
    v1::RebuildProgress progress;
    while (reader->Read(&progress)) {
    }
    if (!reader->Finish().ok()) {
      std::cerr << "rebuilding the views failed\n";
      return 1;
    }
  }
  if (live == "ERROR" || Views(*cases, last_position) != live) {
    std::cerr << "the live views differ from views rebuilt from the log\n";
    return 1;
  }
  std::cout << acks << " acknowledged commands all in the log at their positions; " << records
            << " records, gapless, hash chains verified; views equal a rebuild\n";
  return 0;
}

}  // namespace
}  // namespace tripdesk::load

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "tripdesk-load: drive manual car booking and RV rental cases through tripdeskd and measure");
  // Debian's abseil is built with its debug checks on: every absl::Mutex
  // lock (gRPC takes many per call) would update a lock graph to look for
  // deadlocks, ~2% of the CPU under load.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::ParseCommandLine(argc, argv);
  if (const int32_t fleet = absl::GetFlag(FLAGS_print_rv_fleet); fleet > 0) {
    for (int32_t i = 0; i < fleet; ++i) {
      std::cout << absl::StrFormat(
          "  units { vehicle_number: \"%s\" class_code: \"C25\" odometer: %d generator_tenths: "
          "%d home_location: \"TUS\" }\n",
          tripdesk::load::FleetUnit(i), tripdesk::load::kFleetOdometer,
          tripdesk::load::kFleetGenerator);
    }
    // The load's own user, logged in at the fleet's counter.
    std::cout << "  user_limits { user: \"load\" locations: [\"TUS\"] }\n";
    return 0;
  }
  if (const int32_t assets = absl::GetFlag(FLAGS_print_fleet_assets); assets > 0) {
    for (int32_t i = 0; i < assets; ++i) {
      std::cout << absl::StrFormat(
          "  assets { id: \"LOADV%05d\" asset_class: \"VAN\" location: \"LHR\" description: \"load\" }\n", i);
    }
    return 0;
  }
  std::string run_id = absl::GetFlag(FLAGS_run_id);
  if (run_id.empty()) run_id = absl::StrCat("L", absl::ToUnixMillis(absl::Now()));
  absl::StatusOr<std::string> token = tripdesk::tools::TokenFor(absl::GetFlag(FLAGS_token), "", "");
  if (!token.ok()) {
    token = tripdesk::tools::MintDevToken(absl::GetFlag(FLAGS_dev_dir), "load",
                                          {"agent", "tech_spoc", "supervisor", "auditor", "admin"},
                                          "TUS");
  }
  if (!token.ok()) {
    std::cerr << "no token: " << token.status().message() << "\n";
    return 2;
  }
  tripdesk::load::BearerStorage() = "Bearer " + *token;
  grpc::ChannelArguments args;
  auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server),
                                           grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::cerr << "cannot connect to " << absl::GetFlag(FLAGS_server) << "\n";
    return 2;
  }
  if (!absl::GetFlag(FLAGS_verify_acks).empty()) {
    return tripdesk::load::VerifyAcks(channel, absl::GetFlag(FLAGS_verify_acks));
  }
  std::vector<tripdesk::load::UnitNow> fleet;
  if (const int32_t units = absl::GetFlag(FLAGS_rv_units); units > 0) {
    absl::StatusOr<std::vector<tripdesk::load::UnitNow>> now = tripdesk::load::FleetNow(channel, units);
    if (!now.ok()) {
      std::cerr << "reading the fleet: " << now.status().message() << "\n";
      return 2;
    }
    fleet = *std::move(now);
  }
  tripdesk::load::Generator generator(channel, run_id, std::move(fleet));
  return generator.Run();
}
