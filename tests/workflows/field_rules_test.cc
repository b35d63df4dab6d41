// The generic checks every command gets before a decider runs
// (workflows/field_rules.h), over every field of every command of every
// workflow as the proto descriptors list them.
#include "workflows/field_rules.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/command_fields.h"
#include "tripdesk/v1/field_rules.pb.h"

namespace tripdesk::workflows {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using testing::Chain;
using testing::ForEachCommand;
using testing::ForEachField;
using testing::ForEachStringField;
using testing::PathOf;
using testing::With;

TEST(FieldRules, EveryStringFieldOfEveryCommandRefusesACardNumberWithoutEchoingIt) {
  int fields = 0;
  ForEachStringField([&](const std::string& path, const FieldDescriptor* field, const auto& make) {
    ++fields;
    const bool phone = field->options().GetExtension(v1::rules).phone();
    // Visa in text; in a phone field, American Express (15 digits fit).
    for (const std::string& card : phone ? std::vector<std::string>{"3782 822463 10005"}
                                         : std::vector<std::string>{"4111 1111 1111 1111",
                                                                    "4111111111111111@example.com",
                                                                    "5555-5555-5555-4444"}) {
      const absl::Status s = CheckCommandFields(make(card));
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path << " took " << card;
      EXPECT_THAT(std::string(s.message()), StartsWith(path + ": holds what looks like a card number")) << card;
      EXPECT_THAT(std::string(s.message()), Not(HasSubstr("1111"))) << path;
      EXPECT_THAT(std::string(s.message()), Not(HasSubstr("4444"))) << path;
      EXPECT_THAT(std::string(s.message()), Not(HasSubstr("10005"))) << path;
    }
  });
  EXPECT_GE(fields, 60) << "the descriptors list the commands' string fields";
}

TEST(FieldRules, ControlCharactersAndBidiOverridesAreRefusedInEveryStringField) {
  ForEachStringField([&](const std::string& path, const FieldDescriptor* field, const auto& make) {
    const bool multiline = field->options().GetExtension(v1::rules).multiline();
    for (const std::string& bad : {std::string("a\x07"
                                               "b"),          // BEL
                                   std::string("\x1b[31mred"),  // ESC
                                   std::string("a\x7f"),        // DEL
                                   std::string("a\xc2\x9b"
                                               "31m"),         // U+009B, the 8-bit CSI
                                   std::string("pay\xe2\x80\xae"
                                               "gnp.exe"),     // U+202E
                                   std::string("a\xe2\x81\xa6"
                                               "b")}) {        // U+2066
      const absl::Status s = CheckCommandFields(make(bad));
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
      EXPECT_THAT(std::string(s.message()), StartsWith(path + ": holds the ")) << path;
    }
    const absl::Status newline = CheckCommandFields(make("two\nlines"));
    if (multiline) {
      EXPECT_TRUE(newline.ok()) << path << ": " << newline;
    } else {
      EXPECT_EQ(newline.code(), absl::StatusCode::kInvalidArgument) << path;
    }
    const bool date = field->options().GetExtension(v1::rules).date();
    EXPECT_TRUE(CheckCommandFields(make(date ? "2027-01-15" : "Zoë Müller-Łukasiewicz 東京")).ok())
        << path;
    const absl::Status huge = CheckCommandFields(make(std::string(5000, 'x')));
    EXPECT_THAT(std::string(huge.message()), StartsWith(path + ": is 5000 bytes, at most ")) << path;
  });
}

TEST(FieldRules, EveryRepeatedFieldOfEveryCommandDeclaresAMaximumAndItHolds) {
  int repeated = 0;
  ForEachCommand([&](const FieldDescriptor* workflow, const FieldDescriptor* command) {
    Chain chain;
    ForEachField(command->message_type(), chain, [&](const Chain& c) {
      const FieldDescriptor* f = c.back();
      if (!f->is_repeated()) return;
      ++repeated;
      const uint32_t max = f->options().GetExtension(v1::rules).max_count();
      ASSERT_GT(max, 0u) << PathOf(command, c) << " declares no (tripdesk.v1.rules).max_count";
      const v1::CaseCommand many = With(workflow, command, c, [&](Message& m, const FieldDescriptor* field) {
        for (uint32_t i = 0; i <= max; ++i) {
          if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
            m.GetReflection()->AddString(&m, field, absl::StrCat("X", i));
          } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
            Message* e = m.GetReflection()->AddMessage(&m, field);
            if (const FieldDescriptor* code = e->GetDescriptor()->FindFieldByName("code")) {
              e->GetReflection()->SetString(e, code, absl::StrCat("X", i));
            }
          }
        }
      });
      const absl::Status s = CheckCommandFields(many);
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(s.message()), HasSubstr(absl::StrCat("has ", max + 1, " entries, at most ", max)));
    });
  });
  EXPECT_GE(repeated, 2);
}

v1::CaseCommand Reservation() {
  v1::CaseCommand c;
  c.mutable_rv()->mutable_save_reservation()->set_class_code("C25");
  return c;
}

TEST(FieldRules, DuplicateOptionCodesAreRefusedNamingTheSecond) {
  v1::CaseCommand c = Reservation();
  auto* save = c.mutable_rv()->mutable_save_reservation();
  save->add_options()->set_code("GEN");
  save->add_options()->set_code("SLI");
  EXPECT_TRUE(CheckCommandFields(c).ok());
  save->add_options()->set_code("GEN");
  const absl::Status s = CheckCommandFields(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("save_reservation.options[2]: 'GEN' is given twice (also at [0])"));
  // 10,000 copies of one option: the count refuses it before the duplicates.
  for (int i = 0; i < 10000; ++i) save->add_options()->set_code("GEN");
  EXPECT_THAT(std::string(CheckCommandFields(c).message()), HasSubstr("at most 20 allowed"));

  v1::CaseCommand v = Reservation();
  auto* voucher = v.mutable_rv()->mutable_save_reservation()->mutable_voucher();
  voucher->add_included_options("GEN");
  voucher->add_included_options("GEN");
  EXPECT_THAT(std::string(CheckCommandFields(v).message()),
              StartsWith("save_reservation.voucher.included_options[1]: 'GEN' is given twice"));
}

TEST(FieldRules, DatesAndInstantsOutsideTheirRangeAreRefusedNamingTheRange) {
  v1::CaseCommand c;
  v1::ReceiveCarRequest* r = c.mutable_car_booking()->mutable_receive_request();
  r->mutable_pick_up()->mutable_time()->set_seconds(253402300799);  // 9999-12-31
  EXPECT_EQ(CheckCommandFields(c).message(),
            "receive_request.pick_up.time: is outside the instants tripdesk takes, 1900-01-01T00:00:00Z "
            "to 2100-12-31T23:59:59Z");
  r->mutable_pick_up()->mutable_time()->set_seconds(-2300000000);  // 1897
  EXPECT_EQ(CheckCommandFields(c).code(), absl::StatusCode::kInvalidArgument);
  r->mutable_pick_up()->mutable_time()->set_seconds(1800000000);  // 2027
  r->mutable_pick_up()->mutable_time()->set_nanos(-1);
  EXPECT_THAT(std::string(CheckCommandFields(c).message()), HasSubstr("nanoseconds"));
  r->mutable_pick_up()->mutable_time()->set_nanos(0);
  EXPECT_TRUE(CheckCommandFields(c).ok());

  v1::CaseCommand rv = Reservation();
  rv.mutable_rv()->mutable_save_reservation()->mutable_pick_up()->set_date("9999-01-01");
  EXPECT_EQ(CheckCommandFields(rv).message(),
            "save_reservation.pick_up.date: 9999-01-01 is outside the dates tripdesk takes, "
            "1900-01-01 to 2100-12-31");
  for (const char* bad : {"2027-02-30", "2027-02-29", "2100-02-29", "2027-13-01", "2027-00-10",
                          "2027-1-10", "27-01-10", "2027/01/10", "2027-01-1x"}) {
    rv.mutable_rv()->mutable_save_reservation()->mutable_pick_up()->set_date(bad);
    EXPECT_THAT(std::string(CheckCommandFields(rv).message()), HasSubstr("is not a date (YYYY-MM-DD)"))
        << bad;
  }
  for (const char* good : {"2028-02-29", "2000-02-29", "2027-12-31", "1900-01-01"}) {
    rv.mutable_rv()->mutable_save_reservation()->mutable_pick_up()->set_date(good);
    EXPECT_TRUE(CheckCommandFields(rv).ok()) << good;
  }
  v1::CaseCommand ra;
  ra.mutable_rv()->mutable_open_rental_agreement()->set_date_of_birth("1066-10-14");
  EXPECT_THAT(std::string(CheckCommandFields(ra).message()),
              StartsWith("open_rental_agreement.date_of_birth: 1066-10-14 is outside"));
}

TEST(FieldRules, UnknownEnumValuesAndUnknownFieldsAreRefused) {
  v1::CaseCommand c;
  c.mutable_car_booking()->mutable_receive_request()->set_channel(static_cast<v1::Channel>(999));
  EXPECT_EQ(CheckCommandFields(c).message(),
            "receive_request.channel: 999 is not a Channel; one of CHANNEL_CALL, CHANNEL_EMAIL, "
            "CHANNEL_CHAT");
  v1::CaseCommand unknown;
  unknown.mutable_car_booking()->mutable_add_note()->set_text("hello");
  // Field 99 of AddCaseNote, a string: bytes nobody reads, copied into events.
  v1::AddCaseNote with_extra;
  with_extra.set_text("hello");
  std::string note = with_extra.SerializeAsString() + std::string("\x9a\x06\x03" "abc", 6);
  ASSERT_TRUE(with_extra.ParseFromString(note));
  *unknown.mutable_car_booking()->mutable_add_note() = with_extra;
  EXPECT_THAT(std::string(CheckCommandFields(unknown).message()),
              StartsWith("add_note: holds fields that are not part of tripdesk.v1.AddCaseNote"));
  EXPECT_THAT(std::string(CheckCommandFields(v1::CaseCommand()).message()), HasSubstr("no workflow command"));
}

TEST(FieldRules, PhoneNumbersThatPassLuhnAreNotCardNumbersUnlessABrandFits) {
  // A Chinese mobile number in E.164 has 13 digits and may pass the Luhn
  // check; it is no card brand's.
  int luhn_valid_phones = 0;
  for (int last = 0; last < 10; ++last) {
    const std::string phone = absl::StrCat("+86138123456", last, "7");
    if (ContainsCardNumber(phone)) {
      ++luhn_valid_phones;
      EXPECT_FALSE(ContainsCardNumberInPhone(phone)) << phone;
    }
  }
  EXPECT_GE(luhn_valid_phones, 1) << "one in ten 13-digit numbers passes Luhn";
  EXPECT_TRUE(ContainsCardNumberInPhone("3782-822463-10005"));  // American Express
  EXPECT_TRUE(ContainsCardNumberInPhone("3056 930902 5904"));   // Diners Club
  EXPECT_FALSE(ContainsCardNumberInPhone("+1 714 444 1212"));
}

TEST(FieldRules, CardNumbersAreFoundInTextWithSpacesDashesAndAroundThem) {
  EXPECT_TRUE(ContainsCardNumber("4111111111111111"));
  EXPECT_TRUE(ContainsCardNumber("card 4111 1111 1111 1111 exp 12/28"));
  EXPECT_TRUE(ContainsCardNumber("4111111111111111 123"));  // a CVV after it
  EXPECT_TRUE(ContainsCardNumber("x4111-1111-1111-1111x"));
  EXPECT_FALSE(ContainsCardNumber("4111111111111113"));  // no 13-19 digit window passes Luhn
  EXPECT_FALSE(ContainsCardNumber("call 714-444-1212 or 714-555-1212"));
  EXPECT_FALSE(ContainsCardNumber("411111111111"));  // 12 digits
  EXPECT_FALSE(ContainsCardNumber("4111  1111 1111 1111"));  // two spaces end a run
}

TEST(FieldRules, RequestIdsAreVisibleAscii) {
  EXPECT_TRUE(CheckRequestId("command_id", "").ok());
  EXPECT_TRUE(CheckRequestId("command_id", "quote-C42-1").ok());
  EXPECT_TRUE(CheckRequestId("command_id", "550e8400-e29b-41d4-a716-446655440000").ok());
  EXPECT_TRUE(CheckRequestId("command_id", "=HYPERLINK(x)").ok());  // CSV cells neutralise it
  EXPECT_EQ(CheckRequestId("command_id", "a b").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckRequestId("command_id", "a\x1b").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckRequestId("command_id", std::string(129, 'a')).code(),
            absl::StatusCode::kInvalidArgument);
  // Clock-made ids look like card numbers to the Luhn check: not refused.
  EXPECT_TRUE(CheckRequestId("correlation_id", "L1764165000123-5-3").ok());
  EXPECT_EQ(CheckRequestId("correlation_id", "a\tb").message(),
            "correlation_id: may hold only visible ASCII characters (no spaces or controls)");
}

}  // namespace
}  // namespace tripdesk::workflows
