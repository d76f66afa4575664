#pragma once
// Transport-free request and response shapes, so that routing, authentication and validation
// compile without Beast and can be reasoned about apart from the socket code.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace bulwark::gateway {

struct HttpRequest {
  std::string method;         // upper case, as on the wire ("GET")
  std::string target;         // origin form: path and optional query ("/v1/actions?status=queued")
  std::string authorization;  // the Authorization header, empty when absent
  std::string stripe_signature;  // the Stripe-Signature header, empty when absent
  std::string websocket_protocols;  // the Sec-WebSocket-Protocol header, empty when absent
  std::string body;
  bool peer_is_loopback = false;
  std::string request_id;  // assigned by the server, echoed in X-Request-Id
};

struct HttpResponse {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, Retry-After)
  std::string route = "unmatched";                           // route template, the metrics label
  bool close = false;  // close the connection after this response
};

// Called exactly once per request, on any thread.
using ResponseCallback = std::function<void(HttpResponse)>;

// Builds the error body shared by every non-2xx response:
// {"error": {"code": ..., "message": ..., "details": {...}}}.
[[nodiscard]] HttpResponse error_response(unsigned status, std::string_view code,
                                          std::string message,
                                          nlohmann::json details = nlohmann::json::object());

[[nodiscard]] HttpResponse json_response(unsigned status, const nlohmann::json& body);

}  // namespace bulwark::gateway
