#pragma once
// What every load scenario shares: the run's options, per-tenant tokens, and a Session that sends
// one request, checks its outcome against what the step expects and records it.
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/load_http.hpp"
#include "cli/load_report.hpp"

namespace bulwark::cli {

struct LoadOptions {
  Target target;
  std::string target_url;
  std::string secret_key;
  std::string scenario;
  std::size_t tenants = 20;
  std::size_t concurrency = 8;
  std::chrono::seconds duration{0};  // the run's deadline; each scenario stops at its next step
  std::string series_file;
  std::string from;
  std::size_t days = 250;
  std::string run_id;
  std::chrono::milliseconds request_timeout{30'000};
};

// Bearer tokens for one tenant, one per role the scenarios use.
struct TenantTokens {
  std::string viewer;
  std::string operator_role;
  std::string approver;
  std::string admin;
};

[[nodiscard]] TenantTokens mint_tenant_tokens(const std::string& key, const std::string& tenant,
                                              std::chrono::seconds ttl);

struct CallResult {
  bool transport_ok = false;
  unsigned status = 0;
  std::string code;  // the error code of a non-2xx reply, empty otherwise
  nlohmann::json body;
  bool expected = false;

  [[nodiscard]] bool ok() const { return transport_ok && status >= 200 && status < 300; }
};

class Session {
 public:
  Session(const LoadOptions& options, Recorder& recorder);

  // Sends one request and records its outcome under `operation`. `expected` lists the outcomes
  // the step allows: "2xx", a status such as "201", or a status and error code such as
  // "409 limit_exceeded". A 429 is retried after its Retry-After, at most rate_limit_retries_max
  // times, and each 429 is recorded as expected.
  CallResult call(const std::string& operation, boost::beast::http::verb method,
                  const std::string& path, const nlohmann::json& body, const std::string& token,
                  std::initializer_list<std::string_view> expected);
  CallResult call(const std::string& operation, boost::beast::http::verb method,
                  const std::string& path, const nlohmann::json& body, const std::string& token,
                  const std::vector<std::string>& expected);

  [[nodiscard]] Recorder& recorder() { return *recorder_; }

 private:
  static constexpr int rate_limit_retries_max = 5;

  template <class Expected>
  CallResult call_impl(const std::string& operation, boost::beast::http::verb method,
                       const std::string& path, const nlohmann::json& body,
                       const std::string& token, const Expected& expected);

  HttpConnection connection_;
  Recorder* recorder_;
};

// Runs `work(worker_index, session)` on `count` threads, each with its own connection and
// recorder, and merges every recorder into `total` once all have returned.
void run_workers(const LoadOptions& options, std::size_t count, Progress& progress, Recorder& total,
                 const std::function<void(std::size_t, Session&)>& work);

// Checks that the target replies 200 to GET /readyz. Returns an empty string when it does,
// otherwise the reason.
[[nodiscard]] std::string check_ready(const LoadOptions& options);

// Tenant ids "<prefix>-01", "<prefix>-02", ...: two digits at least, so they sort in order.
[[nodiscard]] std::string tenant_id(const std::string& prefix, std::size_t index);

}  // namespace bulwark::cli
