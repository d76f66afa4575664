#pragma once
// End-to-end harness: a real `bulwark node` child process on a private temp data directory, a
// small synchronous HTTP client for it, and helpers to run the `bulwark` tools on the same data.
// Everything here talks to 127.0.0.1 only.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/token.hpp"

namespace bulwark::e2e {

using nlohmann::json;
using namespace std::chrono_literals;

// A directory made by mkdtemp under /tmp. The destructor removes it unless keep() was called.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  // Leaves the directory on disk, so a failed test's journal and log can be examined.
  void keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

struct HttpResponse {
  int status = 0;         // 0 when the request failed at the transport level
  std::string transport_error;  // set when status is 0
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  json body_json;  // discarded (is_discarded()) when the body is not JSON

  // The stable error code of a non-2xx JSON body, or "" when there is none.
  [[nodiscard]] std::string error_code() const;
  // One line for assertion messages: status, error or body (shortened).
  [[nodiscard]] std::string describe() const;
};

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port, opened on first use. A request that fails
// at the transport level closes the connection and returns status 0. The next request reconnects.
// Not thread-safe: give every thread its own client.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, std::chrono::milliseconds timeout = 20s);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Opens the connection now, so that concurrent callers start their requests together.
  [[nodiscard]] bool connect();

  // Sends `body` verbatim (no JSON check) with Content-Type application/json when non-empty, and
  // `headers` (name, value) as given.
  HttpResponse request(const std::string& method, const std::string& target,
                       const std::string& token, const std::string& body = "",
                       const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResponse get(const std::string& target, const std::string& token = "");
  HttpResponse post(const std::string& target, const json& body, const std::string& token);
  HttpResponse put(const std::string& target, const json& body, const std::string& token);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct NodeOptions {
  std::uint64_t snapshot_every = 1000;
  std::string passivate_after = "10m";
  std::chrono::milliseconds ready_timeout = 30s;
  std::chrono::milliseconds stop_timeout = 15s;
  std::vector<std::string> extra_args;  // appended to the `bulwark node` command line
};

// Output of one run of the `bulwark` executable as a tool (replay, inspect).
struct ToolResult {
  int exit_code = -1;  // -1 when the tool did not exit by itself within the timeout
  std::string standard_output;
  std::string standard_error;
  std::string output;  // stdout, then stderr, for assertion messages
};

// Parses a tool's --format json stdout. `strict` is the whole stdout parsed as JSON (discarded
// when anything else is mixed in); `lenient` is the JSON from the first line that starts with '{',
// so later checks can still run when log lines precede the document.
struct ToolJson {
  json strict;
  json lenient;
};
ToolJson parse_tool_json(const std::string& standard_output);

// A `bulwark node` child process. The data directory, the 40-byte secret file and the log file
// live in one TempDir, so restarts reuse the journal. The destructor always kills the process.
class NodeProcess {
 public:
  explicit NodeProcess(NodeOptions options = {});
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Starts the node and waits until GET /readyz returns 200. Returns false, with the reason in
  // last_error(), when the node exits or the timeout passes first.
  [[nodiscard]] bool start();
  // SIGTERM, then waits for the exit (SIGKILL after stop_timeout). Returns the exit status, or -1
  // when the node had to be killed or was not running.
  int stop();
  // SIGKILL, as a crash: no shutdown code runs in the node.
  void kill();
  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& data_dir() const { return data_dir_; }
  [[nodiscard]] const std::string& last_error() const { return last_error_; }
  // The last `lines` lines of the node's combined stdout and stderr, across restarts.
  [[nodiscard]] std::string log_tail(std::size_t lines = 60) const;

  // Signs a token with the node's secret. A negative ttl makes an expired token.
  [[nodiscard]] std::string token(const std::string& tenant, const std::string& principal,
                                  gateway::Role role,
                                  std::chrono::seconds ttl = std::chrono::hours(1)) const;
  [[nodiscard]] const std::string& secret() const { return secret_; }
  [[nodiscard]] const std::string& secret_path() const { return secret_path_; }

  // Runs `bulwark ARGS...` to completion (bounded by `timeout`) and captures its output.
  [[nodiscard]] static ToolResult run_tool(const std::vector<std::string>& args,
                                           std::chrono::milliseconds timeout = 60s);

  // Leaves the temp directory on disk after the test, for a failure's post-mortem.
  void keep_files() { dir_.keep(); }

 private:
  bool wait_ready();
  bool reap(std::chrono::milliseconds timeout, int& status);

  NodeOptions options_;
  TempDir dir_;
  std::string data_dir_;
  std::string secret_path_;
  std::string port_path_;
  std::string log_path_;
  std::string secret_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string last_error_;
};

// GETs every page of /v1/events (at most `pages_max` pages of 1000) and returns the events in
// order. Sets `error` and stops at the first non-200 response.
std::vector<json> fetch_all_events(HttpClient& client, const std::string& token,
                                   std::string& error, std::size_t pages_max = 200);

}  // namespace bulwark::e2e
