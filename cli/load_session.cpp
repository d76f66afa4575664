#include "cli/load_session.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "gateway/token.hpp"

namespace bulwark::cli {

namespace http = boost::beast::http;
using nlohmann::json;

TenantTokens mint_tenant_tokens(const std::string& key, const std::string& tenant,
                                std::chrono::seconds ttl) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto sign = [&](const char* principal, gateway::Role role) {
    gateway::TokenClaims claims{principal, tenant, role, now, now + ttl.count()};
    return gateway::sign_token(claims, key);
  };
  return TenantTokens{sign("load-viewer", gateway::Role::viewer),
                      sign("load-operator", gateway::Role::operator_role),
                      sign("load-approver", gateway::Role::approver),
                      sign("load-admin", gateway::Role::admin)};
}

Session::Session(const LoadOptions& options, Recorder& recorder)
    : connection_(options.target, options.request_timeout), recorder_(&recorder) {}

CallResult Session::call(const std::string& operation, http::verb method, const std::string& path,
                         const json& body, const std::string& token,
                         std::initializer_list<std::string_view> expected) {
  return call_impl(operation, method, path, body, token, expected);
}

CallResult Session::call(const std::string& operation, http::verb method, const std::string& path,
                         const json& body, const std::string& token,
                         const std::vector<std::string>& expected) {
  return call_impl(operation, method, path, body, token, expected);
}

template <class Expected>
CallResult Session::call_impl(const std::string& operation, http::verb method,
                              const std::string& path, const json& body, const std::string& token,
                              const Expected& expected) {
  std::string payload = body.is_null() ? std::string() : body.dump();
  for (int attempt = 0;; ++attempt) {
    auto started = std::chrono::steady_clock::now();
    HttpReply reply = connection_.send(method, path, payload, token);
    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);

    CallResult result;
    result.transport_ok = reply.transport_ok;
    result.status = reply.status;
    if (!reply.transport_ok) {
      recorder_->record(operation, "transport_error", false, latency, reply.transport_error);
      return result;
    }

    result.body = json::parse(reply.body, nullptr, false);
    std::string outcome = std::to_string(reply.status);
    if (!result.ok()) {
      if (result.body.is_object() && result.body.contains("error") &&
          result.body["error"].is_object()) {
        result.code = result.body["error"].value("code", "");
      }
      outcome += " " + (result.code.empty() ? std::string("no_error_code") : result.code);
    }

    if (reply.status == 429 && attempt < rate_limit_retries_max) {
      recorder_->record(operation, outcome, true, latency, "");
      // Waits for the Retry-After seconds, clamped to 100 ms .. 5 s so that a bad header cannot
      // stall a run.
      long wait_ms = 1000;
      if (!reply.retry_after.empty() &&
          std::all_of(reply.retry_after.begin(), reply.retry_after.end(),
                      [](char c) { return c >= '0' && c <= '9'; }) &&
          reply.retry_after.size() < 6) {
        wait_ms = std::stol(reply.retry_after) * 1000;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp(wait_ms, 100L, 5000L)));
      continue;
    }

    for (std::string_view allowed : expected) {
      if (allowed == outcome || (allowed == "2xx" && result.ok())) result.expected = true;
    }
    std::string detail;
    if (!result.expected) {
      detail = std::string(http::to_string(method)) + " " + path + " replied " +
               reply.body.substr(0, 300);
    }
    recorder_->record(operation, outcome, result.expected, latency, detail);
    return result;
  }
}

void run_workers(const LoadOptions& options, std::size_t count, Progress& progress, Recorder& total,
                 const std::function<void(std::size_t, Session&)>& work) {
  std::vector<Recorder> recorders(count, Recorder(progress));
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      Session session(options, recorders[i]);
      work(i, session);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Recorder& recorder : recorders) total.merge(recorder);
}

std::string check_ready(const LoadOptions& options) {
  HttpConnection connection(options.target, options.request_timeout);
  HttpReply reply = connection.send(http::verb::get, "/readyz", "", "");
  if (!reply.transport_ok) return reply.transport_error;
  if (reply.status != 200) {
    return "GET /readyz replied " + std::to_string(reply.status) + ": " + reply.body.substr(0, 200);
  }
  return "";
}

std::string tenant_id(const std::string& prefix, std::size_t index) {
  char number[24];
  std::snprintf(number, sizeof number, "%02zu", index + 1);
  return prefix + "-" + number;
}

}  // namespace bulwark::cli
