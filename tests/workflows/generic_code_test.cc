// Generic code names no workflow: the command path, the case views, the log
// and the kit work for any workflow from the registry and the declarations.
// A grep over every generic source file; the workflow-specific read models
// that still live beside the generic code are listed here, by name, with
// why, so no new one creeps in unseen.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tripdesk {
namespace {

TEST(GenericCode, NamesNoWorkflow) {
  const std::map<std::string, std::string> read_models = {
      // The one place workflows are registered.
      {"workflows/registry.cc", "registers each workflow (one line each)"},
      // Views and reads one workflow's users asked for.
      {"projections/tracker_projection.cc", "the car booking's US Production Tracker"},
      {"projections/unit_rental_projection.cc", "the RV fleet's rentals by unit"},
      {"projections/queries.cc", "ListAvailableUnits reads the RV fleet"},
      {"projections/queries.h", "ListAvailableUnits reads the RV fleet"},
      {"services/case_service.cc", "ListAvailableUnits and GetReferenceData's sections"},
      {"services/identity.cc", "an RV user sees only their own access entry"},
      {"tools/cli/case_commands.cc", "prints the RV estimate columns and the car booking's ticket"},
  };
  const std::regex workflow_name(R"(car_booking|CarBooking|ManualCarBooking|\brv\b|Rv[A-Z]|RV_)");
  const std::filesystem::path root(TRIPDESK_SOURCE_DIR);
  int checked = 0;
  for (const char* dir : {"services", "projections", "eventstore", "workflows", "tools/cli"}) {
    // Only the folder's own files: a workflow's folder is its own.
    for (const auto& entry : std::filesystem::directory_iterator(root / dir)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
      const std::string name = std::filesystem::relative(entry.path(), root).string();
      std::ifstream in(entry.path());
      std::string line;
      int number = 0;
      bool names = false;
      while (std::getline(in, line)) {
        ++number;
        const std::string code = line.substr(0, line.find("//"));  // comments may give examples
        if (std::regex_search(code, workflow_name)) {
          names = true;
          if (!read_models.contains(name)) {
            ADD_FAILURE() << name << ":" << number << " names a workflow: " << line;
          }
        }
      }
      if (read_models.contains(name)) {
        EXPECT_TRUE(names) << name << " no longer names a workflow: take it off the list";
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 40);
}

// Source without comments and literals, so braces and parentheses count.
std::string CodeOnly(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      out += '\n';
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      for (i += 2; i + 1 < text.size() && !(text[i] == '*' && text[i + 1] == '/'); ++i) {
        if (text[i] == '\n') out += '\n';
      }
      ++i;
    } else if (c == 'R' && i + 2 < text.size() && text[i + 1] == '"' && text[i + 2] == '(') {
      const size_t end = text.find(")\"", i + 3);
      for (size_t k = i; k < end; ++k) {
        if (text[k] == '\n') out += '\n';
      }
      out += "\"\"";
      i = end + 1;
    } else if (c == '"' || c == '\'') {
      for (++i; i < text.size() && text[i] != c; ++i) {
        if (text[i] == '\\') ++i;
      }
      out += "\"\"";
    } else {
      out += c;
    }
  }
  return out;
}

// The functions of `code` longer than `limit` lines, as "line: N lines".
std::vector<std::string> LongFunctions(const std::string& code, int limit) {
  struct Block {
    bool function;
    int line;
  };
  std::vector<Block> open;
  std::vector<std::string> found;
  std::string head;  // the text since the last ; { or }
  int line = 1;
  const std::regex type_head(R"(\b(class|struct|enum|union)\b[^()]*$)");
  const std::regex namespace_head(R"(^\s*(namespace|extern)\b)");
  for (const char c : code) {
    if (c == '\n') {
      ++line;
      head += ' ';
    } else if (c == '{') {
      const bool in_function =
          std::any_of(open.begin(), open.end(), [](const Block& b) { return b.function; });
      const bool function = !in_function && head.find('(') != std::string::npos &&
                            !std::regex_search(head, namespace_head) &&
                            !std::regex_search(head, type_head) &&
                            !std::regex_search(head, std::regex(R"(=\s*$)"));
      open.push_back({function, line});
      head.clear();
    } else if (c == '}') {
      if (!open.empty()) {
        const Block b = open.back();
        open.pop_back();
        if (b.function && line - b.line + 1 > limit) {
          found.push_back(std::to_string(b.line) + ": " + std::to_string(line - b.line + 1) +
                          " lines");
        }
      }
      head.clear();
    } else if (c == ';') {
      head.clear();
    } else {
      head += c;
    }
  }
  return found;
}

TEST(WorkflowCode, LongFunctionsAreFound) {
  std::string body;
  for (int i = 0; i < 90; ++i) body += "  x();\n";
  EXPECT_EQ(LongFunctions("namespace a {\nvoid F() {\n" + body + "}\n}\n", 80).size(), 1u);
  EXPECT_TRUE(LongFunctions("void F() {\n  x();\n}\n", 80).empty());
  // A table's braces are not a function.
  EXPECT_TRUE(LongFunctions("const int kTable[] = {\n" + body + "};\n", 80).empty());
}

// A person reads a function in one screen: none in workflows/ (its folders
// included) runs past about 80 lines.
TEST(WorkflowCode, NoFunctionRunsPastAbout80Lines) {
  const std::filesystem::path root(TRIPDESK_SOURCE_DIR);
  int checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "workflows")) {
    const std::string ext = entry.path().extension().string();
    if (!entry.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    for (const std::string& where : LongFunctions(CodeOnly(text.str()), 85)) {
      ADD_FAILURE() << std::filesystem::relative(entry.path(), root).string() << ":" << where
                    << "; split it into named parts";
    }
    ++checked;
  }
  EXPECT_GT(checked, 20);
}

}  // namespace
}  // namespace tripdesk
