// Walks the proto descriptors of every command of every workflow, so tests
// cover each field the day it is added: every field as a chain of
// descriptors, its path as the generic checks name it, and a command with
// only that field set.
#ifndef TRIPDESK_TESTS_TESTING_COMMAND_FIELDS_H_
#define TRIPDESK_TESTS_TESTING_COMMAND_FIELDS_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tripdesk/v1/cases.pb.h"

namespace tripdesk::testing {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

using Chain = std::vector<const FieldDescriptor*>;

// Every command: the workflow field of CaseCommand and the command field.
inline void ForEachCommand(const std::function<void(const FieldDescriptor*, const FieldDescriptor*)>& fn) {
  const Descriptor* root = v1::CaseCommand::descriptor();
  for (int w = 0; w < root->field_count(); ++w) {
    const Descriptor* workflow = root->field(w)->message_type();
    for (int c = 0; c < workflow->field_count(); ++c) fn(root->field(w), workflow->field(c));
  }
}

// Every field reachable from `d` (timestamps are leaves), as chains.
inline void ForEachField(const Descriptor* d, Chain& chain, const std::function<void(const Chain&)>& fn) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    chain.push_back(f);
    fn(chain);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        f->message_type()->full_name() != "google.protobuf.Timestamp" && chain.size() < 8) {
      ForEachField(f->message_type(), chain, fn);
    }
    chain.pop_back();
  }
}

// The path the checker names for `chain` under `command` (repeated: [0]).
inline std::string PathOf(const FieldDescriptor* command, const Chain& chain) {
  std::string path = command->name();
  for (const FieldDescriptor* f : chain) {
    absl::StrAppend(&path, ".", f->name(), f->is_repeated() ? "[0]" : "");
  }
  return path;
}

// A command with only the field at the end of `chain` set, by `set` on its
// parent message.
inline v1::CaseCommand With(const FieldDescriptor* workflow, const FieldDescriptor* command,
                     const Chain& chain, const std::function<void(Message&, const FieldDescriptor*)>& set) {
  v1::CaseCommand out;
  Message* m = out.GetReflection()->MutableMessage(&out, workflow);
  m = m->GetReflection()->MutableMessage(m, command);
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    const FieldDescriptor* f = chain[i];
    m = f->is_repeated() ? m->GetReflection()->AddMessage(m, f)
                         : m->GetReflection()->MutableMessage(m, f);
  }
  set(*m, chain.back());
  return out;
}

inline void SetString(Message& m, const FieldDescriptor* f, const std::string& value) {
  if (f->is_repeated()) {
    m.GetReflection()->AddString(&m, f, value);
  } else {
    m.GetReflection()->SetString(&m, f, value);
  }
}

// Runs `check` for every string field of every command.
inline void ForEachStringField(
    const std::function<void(const std::string& path, const FieldDescriptor* field,
                             const std::function<v1::CaseCommand(const std::string&)>& make)>& check) {
  ForEachCommand([&](const FieldDescriptor* workflow, const FieldDescriptor* command) {
    Chain chain;
    ForEachField(command->message_type(), chain, [&](const Chain& c) {
      if (c.back()->cpp_type() != FieldDescriptor::CPPTYPE_STRING) return;
      check(PathOf(command, c), c.back(), [&](const std::string& value) {
        return With(workflow, command, c,
                    [&](Message& m, const FieldDescriptor* f) { SetString(m, f, value); });
      });
    });
  });
}

}  // namespace tripdesk::testing

#endif  // TRIPDESK_TESTS_TESTING_COMMAND_FIELDS_H_
