// The reserve throughput scenario and scenarios read from a JSON file.
#include "cli/load_scenarios.hpp"

#include <fstream>
#include <stdexcept>

#include "domain/money.hpp"

namespace bulwark::cli {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

constexpr std::chrono::seconds reserve_duration_default{10};
constexpr std::chrono::seconds file_duration_default{60};
constexpr std::int64_t reserve_amount_minor = 100;
constexpr std::int64_t reserve_ttl_s = 60;
// Headroom for the reserve scenario: every reservation is released, so this is never reached.
constexpr std::int64_t reserve_limit_minor = 1'000'000'000'000;
constexpr std::size_t file_requests_max = 1000;
constexpr std::int64_t file_iterations_max = 10'000'000;

std::chrono::seconds token_lifetime(std::chrono::seconds duration) {
  return duration + std::chrono::hours(1);
}

// Sets a budget with reserve_limit_minor of headroom over what the tenant's day already used.
void set_up_reserve_tenant(Session& session, const std::string& tenant,
                           const TenantTokens& tokens) {
  std::int64_t used = 0;
  CallResult view =
      session.call("get_tenant", http::verb::get, "/v1/tenant", nullptr, tokens.viewer, {"200"});
  if (view.ok() && view.body.is_object() && view.body["budget"].is_object()) {
    used = view.body["budget"].value("committed_minor", std::int64_t{0}) +
           view.body["budget"].value("reserved_minor", std::int64_t{0});
  }
  json budget = {
      {"daily_limit_minor", std::min(used + reserve_limit_minor, domain::amount_minor_max)},
      {"currency", "USD"},
      {"time_zone", "UTC"}};
  session.call("set_budget", http::verb::put, "/v1/tenant/budget", budget, tokens.admin, {"200"});
}

http::verb parse_method(const std::string& name) {
  if (name == "GET") return http::verb::get;
  if (name == "PUT") return http::verb::put;
  if (name == "POST") return http::verb::post;
  if (name == "DELETE") return http::verb::delete_;
  throw std::runtime_error("method '" + name + "' is not GET, PUT, POST or DELETE");
}

void check_request_spec(const json& request, const std::string& where) {
  if (!request.is_object()) throw std::runtime_error(where + " is not an object");
  for (const char* field : {"method", "path", "role"}) {
    if (!request.contains(field) || !request[field].is_string()) {
      throw std::runtime_error(where + "." + field + " is missing or not a string");
    }
  }
  parse_method(request["method"].get<std::string>());
  if (request["path"].get<std::string>().rfind("/", 0) != 0) {
    throw std::runtime_error(where + ".path must start with /");
  }
  std::string role = request["role"].get<std::string>();
  if (role != "viewer" && role != "operator" && role != "approver" && role != "admin") {
    throw std::runtime_error(where + ".role must be viewer, operator, approver or admin");
  }
  if (!request.contains("expect") || !request["expect"].is_array() || request["expect"].empty()) {
    throw std::runtime_error(where + ".expect must be a non-empty array of outcomes");
  }
  for (const json& outcome : request["expect"]) {
    if (!outcome.is_string())
      throw std::runtime_error(where + ".expect contains a value that is not a string");
  }
  if (request.contains("name") && !request["name"].is_string()) {
    throw std::runtime_error(where + ".name is not a string");
  }
}

// Replaces ${run}, ${tenant}, ${worker} and ${iteration} in every string of `value`.
json substitute(const json& value, const std::map<std::string, std::string>& variables) {
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    for (const auto& [name, replacement] : variables) {
      std::string placeholder = "${" + name + "}";
      for (std::size_t at = text.find(placeholder); at != std::string::npos;
           at = text.find(placeholder, at + replacement.size())) {
        text.replace(at, placeholder.size(), replacement);
      }
    }
    return text;
  }
  if (value.is_array() || value.is_object()) {
    json copy = value;
    for (auto it = copy.begin(); it != copy.end(); ++it) *it = substitute(*it, variables);
    return copy;
  }
  return value;
}

const std::string& token_for_role(const TenantTokens& tokens, const std::string& role) {
  if (role == "viewer") return tokens.viewer;
  if (role == "operator") return tokens.operator_role;
  if (role == "approver") return tokens.approver;
  return tokens.admin;
}

void send_file_request(Session& session, const json& request, const TenantTokens& tokens,
                       const std::map<std::string, std::string>& variables) {
  const std::string& token = token_for_role(tokens, request["role"].get<std::string>());
  std::string path = substitute(request["path"], variables).get<std::string>();
  json body = request.contains("body") ? substitute(request["body"], variables) : json(nullptr);
  std::string name = request.value(
      "name", request["method"].get<std::string>() + " " + request["path"].get<std::string>());
  session.call(name, parse_method(request["method"].get<std::string>()), path, body, token,
               request["expect"].get<std::vector<std::string>>());
}

}  // namespace

void run_reserve_scenario(const LoadOptions& options, Progress& progress, Recorder& total,
                          LoadSummary& summary) {
  std::chrono::seconds duration =
      options.duration.count() > 0 ? options.duration : reserve_duration_default;
  std::vector<std::string> tenants;
  std::vector<TenantTokens> tokens;
  for (std::size_t i = 0; i < options.tenants; ++i) {
    tenants.push_back(tenant_id("bench", i));
    tokens.push_back(
        mint_tenant_tokens(options.secret_key, tenants.back(), token_lifetime(duration)));
  }

  // Set-up requests would skew the figures, so they count as outcomes but not in the throughput
  // and latency of the measured phase.
  Recorder setup(progress);
  std::size_t setup_workers = std::min(options.concurrency, options.tenants);
  run_workers(options, setup_workers, progress, setup, [&](std::size_t worker, Session& session) {
    for (std::size_t t = worker; t < tenants.size(); t += setup_workers) {
      set_up_reserve_tenant(session, tenants[t], tokens[t]);
    }
  });

  auto started = std::chrono::steady_clock::now();
  auto deadline = started + duration;
  run_workers(
      options, options.concurrency, progress, total, [&](std::size_t worker, Session& session) {
        std::size_t t = worker % tenants.size();
        std::string prefix = options.run_id + ":w" + std::to_string(worker) + ":";
        for (std::uint64_t i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
          std::string id = prefix + std::to_string(i);
          json body = {{"reservation_id", id},
                       {"amount_minor", reserve_amount_minor},
                       {"ttl_s", reserve_ttl_s}};
          CallResult reserved = session.call("reserve", http::verb::post, "/v1/reservations", body,
                                             tokens[t].operator_role, {"201"});
          if (reserved.ok()) {
            session.call("release", http::verb::post, "/v1/reservations/" + id + "/release",
                         json::object(), tokens[t].operator_role, {"200"});
          }
          progress.units_done.fetch_add(1, std::memory_order_relaxed);
        }
      });
  summary.elapsed = std::chrono::steady_clock::now() - started;
  summary.concurrency = options.concurrency;
  summary.notes.push_back(std::to_string(setup.request_total()) +
                          " set-up requests are counted in the outcomes but not in the "
                          "throughput or latency");
  total.merge_outcomes(setup);
}

json read_scenario_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("unknown scenario '" + path +
                             "': use demo or reserve, or give a readable JSON scenario file");
  }
  json spec = json::parse(in, nullptr, false);
  if (spec.is_discarded() || !spec.is_object()) {
    throw std::runtime_error("scenario file " + path + " is not a JSON object");
  }
  for (const char* list : {"setup", "steps"}) {
    if (!spec.contains(list)) continue;
    if (!spec[list].is_array() || spec[list].size() > file_requests_max) {
      throw std::runtime_error(std::string(list) + " must be an array of at most " +
                               std::to_string(file_requests_max) + " requests");
    }
    for (std::size_t i = 0; i < spec[list].size(); ++i) {
      check_request_spec(spec[list][i], std::string(list) + "[" + std::to_string(i) + "]");
    }
  }
  if (!spec.contains("steps") || spec["steps"].empty()) {
    throw std::runtime_error("scenario file " + path + " has no steps");
  }
  std::int64_t iterations = spec.value("iterations", std::int64_t{1});
  if (iterations < 1 || iterations > file_iterations_max) {
    throw std::runtime_error("iterations must be 1 to " + std::to_string(file_iterations_max));
  }
  std::string prefix = spec.value("tenant_prefix", std::string("load"));
  if (prefix.empty() || prefix.size() > 48 ||
      prefix.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
          std::string::npos) {
    throw std::runtime_error("tenant_prefix must be 1 to 48 characters of [A-Za-z0-9_.-]");
  }
  return spec;
}

void run_file_scenario(const LoadOptions& options, const json& spec, Progress& progress,
                       Recorder& total, LoadSummary& summary) {
  std::chrono::seconds duration =
      options.duration.count() > 0 ? options.duration : file_duration_default;
  std::string prefix = spec.value("tenant_prefix", std::string("load"));
  std::int64_t iterations = spec.value("iterations", std::int64_t{1});
  std::vector<std::string> tenants;
  std::vector<TenantTokens> tokens;
  for (std::size_t i = 0; i < options.tenants; ++i) {
    tenants.push_back(tenant_id(prefix, i));
    tokens.push_back(
        mint_tenant_tokens(options.secret_key, tenants.back(), token_lifetime(duration)));
  }
  std::size_t setup_workers = std::min(options.concurrency, options.tenants);
  run_workers(options, setup_workers, progress, total, [&](std::size_t worker, Session& session) {
    for (std::size_t t = worker; t < tenants.size(); t += setup_workers) {
      std::map<std::string, std::string> variables{{"run", options.run_id},
                                                   {"tenant", tenants[t]},
                                                   {"worker", std::to_string(worker)},
                                                   {"iteration", "setup"}};
      for (const json& request : spec.value("setup", json::array())) {
        send_file_request(session, request, tokens[t], variables);
      }
    }
  });

  progress.units_total = options.concurrency * static_cast<std::uint64_t>(iterations);
  auto deadline = std::chrono::steady_clock::now() + duration;
  std::atomic<bool> stopped_early{false};
  run_workers(options, options.concurrency, progress, total,
              [&](std::size_t worker, Session& session) {
                std::size_t t = worker % tenants.size();
                for (std::int64_t i = 0; i < iterations; ++i) {
                  if (std::chrono::steady_clock::now() >= deadline) {
                    stopped_early = true;
                    return;
                  }
                  std::map<std::string, std::string> variables{{"run", options.run_id},
                                                               {"tenant", tenants[t]},
                                                               {"worker", std::to_string(worker)},
                                                               {"iteration", std::to_string(i)}};
                  for (const json& request : spec["steps"]) {
                    send_file_request(session, request, tokens[t], variables);
                  }
                  progress.units_done.fetch_add(1, std::memory_order_relaxed);
                }
              });
  summary.concurrency = options.concurrency;
  if (stopped_early) {
    summary.notes.push_back("stopped at the " + std::to_string(duration.count()) +
                            " s limit before every iteration ran");
  }
}

}  // namespace bulwark::cli
