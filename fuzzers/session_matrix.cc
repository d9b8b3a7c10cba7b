// session_matrix: which (session state, command verb) pairs a fuzz_session corpus reaches.
//
//   session_matrix [--markdown FILE] [--json FILE] PATH...
//
// Each PATH is a fuzz_session input or a directory of them (read recursively). Every input
// is decoded as the target decodes it (harness/core/session_fuzz_input.h) and its stream is
// fed to an InProcessHost one byte at a time, so every reply has exactly one cause: the byte
// that completed a command line, a DATA line, a BDAT chunk or a SASL response. Each reply is
// counted in the cell (state, verb):
//   - state: the session state when the unit that caused the reply began (for a command
//     line, the state before the line);
//   - verb: the verb of that command line as the core's parser reads it, or a pseudo-verb:
//     (banner) the 220 greeting; (data) a line of a DATA body, its end included;
//     (bdat-chunk) chunk octets, before the chunk's end; (sasl) a line of an AUTH exchange;
//     (bad) a command line the parser refuses; (bare-lf) a command line ended by LF alone;
//     (too-long) a command line refused before its end because it passed the line limit.
//     The reply that comes at the end of a BDAT chunk is the BDAT command's (RFC 3030), so
//     it counts as BDAT in the state before that BDAT line.
// The output is a table state x verb (count and distinct reply codes), and every
// SessionState x Verb pair that was never reached, classified by the command table
// (session_commands.cc): allowed there, refused there (503), or in a state that reads no
// command line at all. --markdown and --json write the same data (default: Markdown to
// stdout). No clock, no sockets: the same corpus gives the same matrix.
//
// Note: the fuzz target itself cuts the stream into 1..97-byte writes (FuzzChunker);
// byte-at-a-time feeding is what makes the attribution exact, and is equivalent for every
// profile except `strict`, which refuses pipelined commands that byte feeding never sends.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "harness/core/command.h"
#include "harness/core/in_process_host.h"
#include "harness/core/profile.h"
#include "harness/core/session.h"
#include "harness/core/session_fuzz_input.h"

namespace smtpgate {

// The command table (session_commands.cc; declared as a friend in session.h).
const Session::CommandSpec* FindCommandSpec(Verb verb);

namespace {

constexpr std::string_view kPseudoVerbs[] = {"(banner)", "(data)",    "(bdat-chunk)", "(sasl)",
                                             "(bad)",    "(bare-lf)", "(too-long)"};
enum Pseudo { kBanner, kDataLine, kBdatChunk, kSaslLine, kBad, kBareLf, kTooLong };
constexpr int kPseudoCount = static_cast<int>(std::size(kPseudoVerbs));
constexpr int kColumns = kVerbCount + kPseudoCount;
// The line buffer keeps at most this much of one unit (inputs are small; this only bounds
// memory for a huge file). A longer command line is refused by the session anyway.
constexpr size_t kLineCap = 64 * 1024;

constexpr int PseudoColumn(Pseudo p) { return kVerbCount + static_cast<int>(p); }

std::string_view ColumnName(int column) {
  if (column < kVerbCount) return VerbName(static_cast<Verb>(column));
  return kPseudoVerbs[column - kVerbCount];
}

SessionState StateAt(int index) { return static_cast<SessionState>(index); }

struct Cell {
  uint64_t count = 0;
  std::map<int, uint64_t> codes;  // reply code -> replies
};

// What the command table says about a real verb in a state.
enum class TableKind { kAllowed, kOutOfSequence, kNotRead };

std::string_view TableKindName(TableKind kind) {
  switch (kind) {
    case TableKind::kAllowed:
      return "allowed";
    case TableKind::kOutOfSequence:
      return "out-of-sequence";
    case TableKind::kNotRead:
      return "not-read";
  }
  return "?";
}

uint32_t StateBit(SessionState state) { return 1u << static_cast<int>(state); }

// States in which command lines are read: every state some verb is allowed in (HELO and
// the other anytime verbs are allowed in all of them).
uint32_t CommandReadingStates() {
  uint32_t states = 0;
  for (int v = 0; v < kVerbCount; ++v) {
    if (const Session::CommandSpec* spec = FindCommandSpec(static_cast<Verb>(v))) {
      states |= spec->allowed_states;
    }
  }
  return states;
}

TableKind Classify(SessionState state, Verb verb) {
  if ((CommandReadingStates() & StateBit(state)) == 0) return TableKind::kNotRead;
  const Session::CommandSpec* spec = FindCommandSpec(verb);
  if (spec != nullptr && (spec->allowed_states & StateBit(state)) != 0) {
    return TableKind::kAllowed;
  }
  return TableKind::kOutOfSequence;
}

struct Matrix {
  std::array<std::array<Cell, kColumns>, kSessionStateCount> cells;
  uint64_t files = 0;
  uint64_t replayed = 0;
  uint64_t too_short = 0;
  uint64_t unreadable = 0;
  uint64_t bytes = 0;
  uint64_t replies = 0;
  std::map<std::string, uint64_t> profiles;  // inputs per emulation profile
  std::vector<std::string> sources;

  void Add(SessionState state, int column, int code) {
    Cell& cell = cells[static_cast<int>(state)][column];
    ++cell.count;
    ++cell.codes[code];
    ++replies;
  }
  const Cell& At(int state, int column) const { return cells[state][column]; }
};

// The column of a reply caused by the byte `last`, which ended (or overflowed) `unit`, a
// unit that began in `state`.
int ColumnOf(SessionState state, char last, std::string_view unit, const CommandOptions& options,
             std::optional<Command>* parsed) {
  switch (state) {
    case SessionState::kData:
      return PseudoColumn(kDataLine);
    case SessionState::kBdatChunk:
      return PseudoColumn(kBdatChunk);
    case SessionState::kAuth:
      return PseudoColumn(kSaslLine);
    default:
      break;
  }
  if (last != '\n') return PseudoColumn(kTooLong);
  std::string_view line = unit.substr(0, unit.size() - 1);  // without the LF
  if (line.empty() || line.back() != '\r') return PseudoColumn(kBareLf);
  line.remove_suffix(1);
  absl::StatusOr<Command> command = ParseCommand(line, options);
  if (!command.ok()) return PseudoColumn(kBad);
  *parsed = std::move(*command);
  return static_cast<int>((*parsed)->verb);
}

void Replay(std::string_view data, Matrix& matrix) {
  const std::optional<FuzzSessionInput> decoded = DecodeFuzzSessionInput(data);
  if (!decoded) {
    ++matrix.too_short;
    return;
  }
  ++matrix.replayed;
  ++matrix.profiles[std::string(ProfileName(decoded->config.policy.profile))];
  InProcessHost host(decoded->config, decoded->peer);
  host.set_storage_ok(decoded->storage_ok);
  for (const SendReply& r : host.Start()) {
    matrix.Add(SessionState::kConnected, PseudoColumn(kBanner), r.reply.code);
  }
  CommandOptions options = decoded->config.command;
  std::string unit;  // the bytes of the current line or chunk
  SessionState unit_state = host.session().state();
  // The BDAT line whose chunk is being read: its reply comes at the chunk's end.
  SessionState bdat_state = SessionState::kConnected;
  int bdat_column = static_cast<int>(Verb::kBdat);
  for (const char c : decoded->stream) {
    if (host.closed()) break;  // nothing more is read
    const SessionState before = host.session().state();
    if (unit.empty()) unit_state = before;
    if (unit.size() < kLineCap) unit.push_back(c);
    ++matrix.bytes;
    const std::vector<SendReply> replies = host.Feed(std::string_view(&c, 1));
    const SessionState after = host.session().state();
    std::optional<Command> parsed;
    if (!replies.empty() && unit_state == SessionState::kBdatChunk &&
        after != SessionState::kBdatChunk) {
      // The chunk is complete: RFC 3030 answers the BDAT command only now.
      for (const SendReply& r : replies) matrix.Add(bdat_state, bdat_column, r.reply.code);
    } else if (!replies.empty()) {
      const int column = ColumnOf(unit_state, c, unit, options, &parsed);
      for (const SendReply& r : replies) matrix.Add(unit_state, column, r.reply.code);
      // RCPT paths may hold UTF-8 once MAIL ... SMTPUTF8 is accepted (as the session reads).
      if (parsed && parsed->verb == Verb::kMail && after == SessionState::kMail) {
        options.smtputf8_transaction = parsed->mail.smtputf8;
      }
    }
    if (c == '\n' && before != SessionState::kBdatChunk && after == SessionState::kBdatChunk) {
      bdat_state = unit_state;
      bdat_column = ColumnOf(unit_state, c, unit, options, &parsed);
    }
    if (after == SessionState::kConnected || after == SessionState::kGreeted) {
      options.smtputf8_transaction = false;
    }
    if (c == '\n' || after != before) unit.clear();
  }
}

bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = std::move(buffer).str();
  return !in.bad();
}

// The regular files of `arg` (itself, or every file under it), sorted.
bool CollectInputs(const std::string& arg, std::vector<std::filesystem::path>* files) {
  std::error_code ec;
  const std::filesystem::path root(arg);
  if (std::filesystem::is_regular_file(root, ec)) {
    files->push_back(root);
    return true;
  }
  if (!std::filesystem::is_directory(root, ec)) return false;
  std::vector<std::filesystem::path> found;
  for (std::filesystem::recursive_directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec)) found.push_back(it->path());
  }
  if (ec) return false;
  std::sort(found.begin(), found.end());
  files->insert(files->end(), found.begin(), found.end());
  return true;
}

std::string CodesText(const Cell& cell, bool with_counts) {
  std::string text;
  for (const auto& [code, n] : cell.codes) {
    if (!text.empty()) text += ", ";
    text += std::to_string(code);
    if (with_counts) text += ":" + std::to_string(n);
  }
  return text;
}

// Columns of the table: every state that reads command lines, data and auth, and any other
// state that has a count (bdat-chunk only has one if a reply comes before a chunk's end).
std::vector<int> ShownStates(const Matrix& m) {
  std::vector<int> states;
  for (int s = 0; s < kSessionStateCount; ++s) {
    const SessionState state = StateAt(s);
    bool shown = (CommandReadingStates() & StateBit(state)) != 0 || state == SessionState::kData ||
                 state == SessionState::kAuth;
    for (int c = 0; c < kColumns && !shown; ++c) shown = m.At(s, c).count > 0;
    if (shown) states.push_back(s);
  }
  return states;
}

struct Unreached {
  SessionState state;
  Verb verb;
  TableKind kind;
};

std::vector<Unreached> NeverReached(const Matrix& m) {
  std::vector<Unreached> out;
  for (int s = 0; s < kSessionStateCount; ++s) {
    for (int v = 0; v < kVerbCount; ++v) {
      if (m.At(s, v).count == 0) {
        out.push_back(
            {StateAt(s), static_cast<Verb>(v), Classify(StateAt(s), static_cast<Verb>(v))});
      }
    }
  }
  return out;
}

std::string Markdown(const Matrix& m) {
  std::string md;
  md += "# fuzz_session corpus: session state x command verb\n\n";
  md += "Inputs: " + std::to_string(m.files) + " files, " + std::to_string(m.replayed) +
        " replayed (" + std::to_string(m.too_short) + " shorter than the 2 header bytes, " +
        std::to_string(m.unreadable) + " unreadable); " + std::to_string(m.bytes) +
        " client bytes fed one at a time; " + std::to_string(m.replies) + " replies.\n\n";
  md += "Profiles (byte 0, bits 0-2):";
  for (const auto& [name, n] : m.profiles) md += " " + name + " " + std::to_string(n) + ";";
  md += "\n\nSources:";
  for (const std::string& s : m.sources) md += " `" + s + "`";
  md +=
      "\n\nRows: what caused the reply (a command verb, or a pseudo-verb). Columns: the "
      "session state before that command line (or when the DATA line, BDAT chunk or SASL "
      "line began; the reply at the end of a BDAT chunk counts for its BDAT line). Cell: replies "
      "(distinct reply codes). **0**: the command table allows "
      "the verb in that state but no input reached it; 0: the table refuses it there (503) "
      "and no input tried; empty: not applicable.\n\n";
  const std::vector<int> states = ShownStates(m);
  md += "| verb \\ state |";
  for (int s : states) md += " " + std::string(SessionStateName(StateAt(s))) + " |";
  md += "\n|---|";
  for (size_t i = 0; i < states.size(); ++i) md += "---|";
  md += "\n";
  for (int c = 0; c < kColumns; ++c) {
    md += "| " + std::string(ColumnName(c)) + " |";
    for (int s : states) {
      const Cell& cell = m.At(s, c);
      std::string text;
      if (cell.count > 0) {
        text = std::to_string(cell.count) + " (" + CodesText(cell, false) + ")";
      } else if (c < kVerbCount) {
        switch (Classify(StateAt(s), static_cast<Verb>(c))) {
          case TableKind::kAllowed:
            text = "**0**";
            break;
          case TableKind::kOutOfSequence:
            text = "0";
            break;
          case TableKind::kNotRead:
            break;
        }
      }
      md += " " + text + " |";
    }
    md += "\n";
  }

  const std::vector<Unreached> unreached = NeverReached(m);
  const auto count_of = [&](TableKind kind) {
    return std::count_if(unreached.begin(), unreached.end(),
                         [&](const Unreached& u) { return u.kind == kind; });
  };
  md += "\n## Never reached: " + std::to_string(unreached.size()) + " of " +
        std::to_string(kSessionStateCount * kVerbCount) + " SessionState x Verb pairs\n\n";
  md += "### Allowed by the command table, never reached (" +
        std::to_string(count_of(TableKind::kAllowed)) + ")\n\n";
  md += "The verb's check and proceed run in this state, but no input got there.\n\n";
  for (const Unreached& u : unreached) {
    if (u.kind != TableKind::kAllowed) continue;
    md += "- " + std::string(SessionStateName(u.state)) + " x " + std::string(VerbName(u.verb)) +
          "\n";
  }
  md += "\n### Refused by the command table (503 bad sequence), never tried (" +
        std::to_string(count_of(TableKind::kOutOfSequence)) + ")\n\n";
  for (int s = 0; s < kSessionStateCount; ++s) {
    std::string verbs;
    for (const Unreached& u : unreached) {
      if (u.kind != TableKind::kOutOfSequence || u.state != StateAt(s)) continue;
      verbs += (verbs.empty() ? "" : ", ") + std::string(VerbName(u.verb));
    }
    if (!verbs.empty())
      md += "- " + std::string(SessionStateName(StateAt(s))) + ": " + verbs + "\n";
  }
  md += "\n### States that read no command line (" + std::to_string(count_of(TableKind::kNotRead)) +
        ")\n\n";
  md +=
      "Unreachable by construction: in data, bdat-chunk and auth the input is a body, chunk "
      "octets or SASL responses (the pseudo-verbs); awaiting-commit and tls-pending last only "
      "inside one Feed with InProcessHost; closed reads nothing.\n\n";
  for (int s = 0; s < kSessionStateCount; ++s) {
    if (Classify(StateAt(s), Verb::kHelo) != TableKind::kNotRead) continue;
    md += "- " + std::string(SessionStateName(StateAt(s))) + ": all " + std::to_string(kVerbCount) +
          " verbs\n";
  }
  return md;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Json(const Matrix& m) {
  std::string j = "{\n";
  j += "  \"inputs\": {\"files\": " + std::to_string(m.files) +
       ", \"replayed\": " + std::to_string(m.replayed) +
       ", \"too_short\": " + std::to_string(m.too_short) +
       ", \"unreadable\": " + std::to_string(m.unreadable) +
       ", \"bytes\": " + std::to_string(m.bytes) + "},\n";
  j += "  \"replies\": " + std::to_string(m.replies) + ",\n";
  j += "  \"feeding\": \"one byte at a time\",\n";
  j += "  \"profiles\": {";
  bool first = true;
  for (const auto& [name, n] : m.profiles) {
    j += (first ? "" : ", ") + JsonString(name) + ": " + std::to_string(n);
    first = false;
  }
  j += "},\n  \"sources\": [";
  for (size_t i = 0; i < m.sources.size(); ++i) {
    j += (i ? ", " : "") + JsonString(m.sources[i]);
  }
  j += "],\n  \"states\": [";
  for (int s = 0; s < kSessionStateCount; ++s) {
    j += (s ? ", " : "") + JsonString(SessionStateName(StateAt(s)));
  }
  j += "],\n  \"verbs\": [";
  for (int c = 0; c < kColumns; ++c) j += (c ? ", " : "") + JsonString(ColumnName(c));
  j += "],\n  \"cells\": [";
  first = true;
  for (int s = 0; s < kSessionStateCount; ++s) {
    for (int c = 0; c < kColumns; ++c) {
      const Cell& cell = m.At(s, c);
      if (cell.count == 0) continue;
      j += first ? "\n" : ",\n";
      first = false;
      j += "    {\"state\": " + JsonString(SessionStateName(StateAt(s))) +
           ", \"verb\": " + JsonString(ColumnName(c)) +
           ", \"count\": " + std::to_string(cell.count) + ", \"table\": " +
           JsonString(c < kVerbCount ? TableKindName(Classify(StateAt(s), static_cast<Verb>(c)))
                                     : "pseudo") +
           ", \"codes\": {";
      bool first_code = true;
      for (const auto& [code, n] : cell.codes) {
        j += (first_code ? "\"" : ", \"") + std::to_string(code) + "\": " + std::to_string(n);
        first_code = false;
      }
      j += "}}";
    }
  }
  j += "\n  ],\n  \"never_reached\": [";
  first = true;
  for (const Unreached& u : NeverReached(m)) {
    j += first ? "\n" : ",\n";
    first = false;
    j += "    {\"state\": " + JsonString(SessionStateName(u.state)) +
         ", \"verb\": " + JsonString(VerbName(u.verb)) +
         ", \"table\": " + JsonString(TableKindName(u.kind)) + "}";
  }
  j += "\n  ]\n}\n";
  return j;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fclose(f) == 0 && ok;
}

int Usage() {
  std::fprintf(stderr,
               "usage: session_matrix [--markdown FILE] [--json FILE] PATH...\n"
               "  PATH: a fuzz_session input or a directory of them (recursive).\n"
               "  Without --markdown or --json the Markdown table goes to stdout.\n");
  return 2;
}

int Main(int argc, char** argv) {
  std::string markdown_path;
  std::string json_path;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--markdown" || arg == "--json") && i + 1 < argc) {
      (arg == "--json" ? json_path : markdown_path) = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      Usage();
      return 0;
    } else if (arg.starts_with("--")) {
      std::fprintf(stderr, "session_matrix: unknown or incomplete option %s\n", argv[i]);
      return Usage();
    } else {
      paths.emplace_back(arg);
    }
  }
  if (paths.empty()) return Usage();

  Matrix matrix;
  std::vector<std::filesystem::path> files;
  for (const std::string& p : paths) {
    if (!CollectInputs(p, &files)) {
      std::fprintf(stderr, "session_matrix: cannot read %s\n", p.c_str());
      return 2;
    }
    matrix.sources.push_back(p);
  }
  std::string data;
  for (const std::filesystem::path& file : files) {
    ++matrix.files;
    if (!ReadFile(file, &data)) {
      ++matrix.unreadable;
      std::fprintf(stderr, "session_matrix: cannot read %s\n", file.c_str());
      continue;
    }
    Replay(data, matrix);
  }

  const std::string md = Markdown(matrix);
  if (markdown_path.empty() && json_path.empty()) std::fputs(md.c_str(), stdout);
  if (!markdown_path.empty() && !WriteFile(markdown_path, md)) {
    std::fprintf(stderr, "session_matrix: cannot write %s\n", markdown_path.c_str());
    return 1;
  }
  if (!json_path.empty() && !WriteFile(json_path, Json(matrix))) {
    std::fprintf(stderr, "session_matrix: cannot write %s\n", json_path.c_str());
    return 1;
  }
  // Pairs in a state that reads no command line (inside DATA, a chunk, SASL, ...) cannot be
  // reached by any input: they are not counted.
  size_t reached = 0;
  size_t reachable = 0;
  for (int s = 0; s < kSessionStateCount; ++s) {
    for (int v = 0; v < kVerbCount; ++v) {
      if (Classify(static_cast<SessionState>(s), static_cast<Verb>(v)) == TableKind::kNotRead) {
        continue;
      }
      ++reachable;
      reached += matrix.At(s, v).count > 0;
    }
  }
  std::fprintf(stderr,
               "session_matrix: %llu inputs, %llu replies, %zu of the %zu state x verb pairs of "
               "the command-reading states reached\n",
               static_cast<unsigned long long>(matrix.replayed),
               static_cast<unsigned long long>(matrix.replies), reached, reachable);
  return 0;
}

}  // namespace
}  // namespace smtpgate

int main(int argc, char** argv) { return smtpgate::Main(argc, argv); }
