// The fuzz dictionary (fuzzers/smtp.dict) cannot drift from the core: it must hold every verb
// of the command table, every keyword and SASL mechanism the reference server advertises in
// its EHLO reply, every MAIL parameter keyword the session accepts, the BDAT boundary sizes,
// and the end-of-data form of every smuggling transcript in the catalogue.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/core/command.h"
#include "harness/core/demo_config.h"
#include "harness/core/in_process_host.h"
#include "harness/core/smtp_status.h"
#include "tests/source_dir.h"

namespace smtpgate {
namespace {

// libFuzzer's dictionary format: [name=]"value", with \\, \" and \xHH escapes; # comments.
std::vector<std::string> LoadDictionary(std::string* error) {
  std::ifstream in(SourceDir() + "/fuzzers/smtp.dict");
  std::vector<std::string> entries;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    const size_t open = line.find('"');
    const size_t close = line.rfind('"');
    if (open == std::string::npos || close == open) {
      *error = "smtp.dict:" + std::to_string(number) + ": not a quoted entry";
      return {};
    }
    std::string value;
    for (size_t i = open + 1; i < close; ++i) {
      if (line[i] != '\\') {
        value += line[i];
      } else if (i + 1 < close && (line[i + 1] == '\\' || line[i + 1] == '"')) {
        value += line[++i];
      } else if (i + 3 < close && line[i + 1] == 'x') {
        value += static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16));
        i += 3;
      } else {
        *error = "smtp.dict:" + std::to_string(number) + ": bad escape";
        return {};
      }
    }
    entries.push_back(value);
  }
  return entries;
}

class FuzzDictionaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    entries_ = LoadDictionary(&error);
    ASSERT_EQ(error, "");
    ASSERT_FALSE(entries_.empty());
  }
  bool Has(const std::string& exact) const {
    return std::find(entries_.begin(), entries_.end(), exact) != entries_.end();
  }
  bool HasWith(const std::string& part) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const std::string& e) { return e.find(part) != std::string::npos; });
  }
  std::vector<std::string> entries_;
};

TEST_F(FuzzDictionaryTest, EveryVerbOfTheCommandTable) {
  for (int v = 0; v < kVerbCount; ++v) {
    const std::string verb(VerbName(static_cast<Verb>(v)));
    EXPECT_TRUE(HasWith(verb)) << verb;
  }
}

TEST_F(FuzzDictionaryTest, EveryEhloKeywordAndSaslMechanism) {
  SessionConfig config = DemoConfig(Profile::kSecure);
  config.tls_available = true;
  config.auth_requires_tls = false;
  InProcessHost host(config);
  host.Start();
  const std::vector<SendReply> replies = host.Line("EHLO client.test");
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_EQ(replies[0].reply.code, 250);
  const std::vector<std::string>& lines = replies[0].reply.lines;
  ASSERT_GT(lines.size(), 5u);
  std::set<std::string> words;
  for (size_t i = 1; i < lines.size(); ++i) {  // line 0 is the greeting
    const std::vector<std::string> parts = absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
    if (parts.empty()) continue;
    words.insert(parts[0]);
    if (parts[0] == "AUTH") words.insert(parts.begin() + 1, parts.end());  // the mechanisms
  }
  EXPECT_TRUE(words.contains("CHUNKING"));
  EXPECT_TRUE(words.contains("PLAIN"));
  for (const std::string& word : words) EXPECT_TRUE(HasWith(word)) << word;
}

TEST_F(FuzzDictionaryTest, EveryMailParameterTheSessionAccepts) {
  // Each entry the dictionary offers as a MAIL parameter is one the session accepts (250),
  // so the list below is the core's, not a guess; and the dictionary has each of them.
  const std::vector<std::string> parameters = {" SIZE=1000",       " BODY=7BIT", " BODY=8BITMIME",
                                               " BODY=BINARYMIME", " SMTPUTF8",  " AUTH=<>",
                                               " RET=FULL",        " RET=HDRS",  " ENVID=x"};
  for (const std::string& parameter : parameters) {
    SCOPED_TRACE(parameter);
    const SessionConfig config = DemoConfig(Profile::kSecure);  // the host keeps a reference
    InProcessHost host(config);
    host.Start();
    host.Line("EHLO client.test");
    const std::vector<SendReply> replies = host.Line("MAIL FROM:<s@remote.invalid>" + parameter);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].reply.code, 250) << replies[0].reply.Summary();
    const std::string keyword = parameter.substr(0, parameter.find('=') + 1);
    EXPECT_TRUE(HasWith(keyword)) << keyword;
  }
  EXPECT_TRUE(HasWith(" NOTIFY=") && HasWith(" ORCPT=rfc822;"));  // RCPT parameters (RFC 3461)
}

TEST_F(FuzzDictionaryTest, BdatFormsAndIntegerBoundaries) {
  for (const char* entry : {"BDAT ", " LAST", "BDAT 0 LAST", "4294967295", "4294967296",
                            "4294967310", "18446744073709551615", "18446744073709551616"}) {
    EXPECT_TRUE(Has(entry)) << entry;
  }
}

// conformance/data/smuggling-<form>.smtp: the form's words (cr, lf, crlf, dot, nul) spelled
// out are the end-of-data sequence the transcript tries.
TEST_F(FuzzDictionaryTest, EverySmugglingEndOfDataOfTheCatalogue) {
  std::set<std::string> forms;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() + "/conformance/data")) {
    std::string name = entry.path().stem().string();
    if (name.rfind("smuggling-", 0) != 0) continue;
    name = name.substr(10);
    if (const size_t at = name.find("-second-write"); at != std::string::npos) name.resize(at);
    std::string bytes;
    for (const std::string& word : std::vector<std::string>(absl::StrSplit(name, '-'))) {
      if (word == "cr")
        bytes += "\r";
      else if (word == "lf")
        bytes += "\n";
      else if (word == "crlf")
        bytes += "\r\n";
      else if (word == "dot")
        bytes += ".";
      else if (word == "nul")
        bytes += std::string(1, '\0');
      else
        ADD_FAILURE() << "smuggling-" << name << ": unknown word " << word;
    }
    forms.insert(bytes);
  }
  EXPECT_EQ(forms.size(), 12u);
  for (const std::string& form : forms) {
    EXPECT_TRUE(Has(form)) << "missing " << ::testing::PrintToString(form);
  }
}

}  // namespace
}  // namespace smtpgate
