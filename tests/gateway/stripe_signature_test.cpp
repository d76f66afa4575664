// Tests of Stripe-Signature verification against Stripe's published scheme: the header
// `t=<unix seconds>,v1=<hex>[,v1=<hex>...]` and HMAC-SHA256 of "<t>.<body>" under the whsec secret.
#include <gtest/gtest.h>

#include <openssl/hmac.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gateway/stripe_signature.hpp"

namespace bulwark::gateway {
namespace {

const std::string secret = "whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH";
const std::string body = R"({"id":"evt_1","object":"event","type":"invoice.paid","created":1})";
constexpr std::int64_t now_s = 1'790'000'000;

// HMAC-SHA256 computed here with OpenSSL's one-shot API, independently of the code under test.
std::string reference_hmac_hex(const std::string& key, const std::string& payload) {
  unsigned char digest[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest, &length);
  std::string hex;
  char pair[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", digest[i]);
    hex += pair;
  }
  return hex;
}

std::string header_for(std::int64_t t, const std::string& signed_body = body,
                       const std::string& key = secret) {
  return "t=" + std::to_string(t) + ",v1=" + stripe_signature_hex(key, t, signed_body);
}

std::string code(std::optional<StripeSignatureError> error) {
  return error ? to_string(*error) : "ok";
}

TEST(StripeSignature, MatchesReferenceHmac) {
  std::string payload = std::to_string(now_s) + "." + body;
  EXPECT_EQ(stripe_signature_hex(secret, now_s, body), reference_hmac_hex(secret, payload));
  EXPECT_EQ(stripe_signature_hex(secret, now_s, body).size(), 64u);
}

TEST(StripeSignature, StripeDocumentedVector) {
  // Stripe's test-header helpers sign "<t>.<payload>" with the whole secret, whsec_ prefix included.
  const std::string key = "whsec_test_secret";
  const std::string payload = "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}";
  std::string header = "t=12345,v1=" + reference_hmac_hex(key, "12345." + payload);
  EXPECT_EQ(code(verify_stripe_signature(header, payload, key, 12345)), "ok");
}

TEST(StripeSignature, ValidHeaderVerifies) {
  EXPECT_EQ(code(verify_stripe_signature(header_for(now_s), body, secret, now_s)), "ok");
}

TEST(StripeSignature, AnyOfSeveralV1Matches) {
  std::string good = stripe_signature_hex(secret, now_s, body);
  std::string other = stripe_signature_hex("whsec_rolled_secret", now_s, body);
  std::string t = "t=" + std::to_string(now_s);
  EXPECT_EQ(code(verify_stripe_signature(t + ",v1=" + other + ",v1=" + good, body, secret, now_s)),
            "ok");
  EXPECT_EQ(code(verify_stripe_signature(t + ",v1=" + good + ",v1=" + other, body, secret, now_s)),
            "ok");
  EXPECT_EQ(code(verify_stripe_signature(t + ",v1=" + other + ",v1=" + other, body, secret, now_s)),
            "signature_mismatch");
  // A v1 that is not hex cannot match, but does not hide a good one.
  EXPECT_EQ(code(verify_stripe_signature(t + ",v1=zz,v1=" + good, body, secret, now_s)), "ok");
  EXPECT_EQ(code(verify_stripe_signature(t + ",v1=zz", body, secret, now_s)), "signature_mismatch");
}

TEST(StripeSignature, V0AndUnknownSchemesIgnored) {
  std::string good = stripe_signature_hex(secret, now_s, body);
  std::string t = "t=" + std::to_string(now_s);
  std::string v0 = reference_hmac_hex(secret, std::to_string(now_s) + "." + body);
  // A correct value under v0 alone is not accepted: only v1 counts.
  EXPECT_EQ(code(verify_stripe_signature(t + ",v0=" + v0, body, secret, now_s)), "no_v1_signature");
  EXPECT_EQ(code(verify_stripe_signature(t + ",v0=" + v0 + ",v1=" + good, body, secret, now_s)),
            "ok");
  EXPECT_EQ(code(verify_stripe_signature(t + ",v1=" + good + ",v2=abc,scheme=x", body, secret,
                                         now_s)),
            "ok");
}

TEST(StripeSignature, ToleranceBothDirections) {
  EXPECT_EQ(stripe_tolerance_default.count(), 300);
  for (std::int64_t offset : {-300, -1, 0, 1, 300}) {
    EXPECT_EQ(code(verify_stripe_signature(header_for(now_s + offset), body, secret, now_s)), "ok")
        << "offset " << offset;
  }
  for (std::int64_t offset : {-301, 301, -86400, 86400}) {
    EXPECT_EQ(code(verify_stripe_signature(header_for(now_s + offset), body, secret, now_s)),
              "timestamp_outside_tolerance")
        << "offset " << offset;
  }
  EXPECT_EQ(code(verify_stripe_signature(header_for(now_s - 20), body, secret, now_s,
                                         std::chrono::seconds(10))),
            "timestamp_outside_tolerance");
  EXPECT_EQ(code(verify_stripe_signature(header_for(0), body, secret, now_s)),
            "timestamp_outside_tolerance");
}

TEST(StripeSignature, OneChangedByteRejected) {
  std::string header = header_for(now_s);
  for (std::size_t i = 0; i < body.size(); ++i) {
    std::string changed = body;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    EXPECT_EQ(code(verify_stripe_signature(header, changed, secret, now_s)), "signature_mismatch")
        << "byte " << i;
  }
  EXPECT_EQ(code(verify_stripe_signature(header, body + " ", secret, now_s)), "signature_mismatch");
  EXPECT_EQ(code(verify_stripe_signature(header, body.substr(1), secret, now_s)),
            "signature_mismatch");
}

TEST(StripeSignature, WrongSecretOrTimestampRejected) {
  EXPECT_EQ(code(verify_stripe_signature(header_for(now_s, body, "whsec_other"), body, secret,
                                         now_s)),
            "signature_mismatch");
  // The signature of one timestamp does not verify under another.
  std::string moved = "t=" + std::to_string(now_s + 1) + ",v1=" +
                      stripe_signature_hex(secret, now_s, body);
  EXPECT_EQ(code(verify_stripe_signature(moved, body, secret, now_s)), "signature_mismatch");
}

TEST(StripeSignature, MalformedHeadersRejected) {
  std::string good = stripe_signature_hex(secret, now_s, body);
  std::string t = std::to_string(now_s);
  struct Case {
    std::string header;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "missing_header"},
      {"   ", "missing_header"},
      {"v1=" + good, "malformed_header"},
      {"t=,v1=" + good, "malformed_header"},
      {"t=12ab,v1=" + good, "malformed_header"},
      {"t=-5,v1=" + good, "malformed_header"},
      {"t=123456789012,v1=" + good, "malformed_header"},
      {"t=" + t + ",t=" + t + ",v1=" + good, "malformed_header"},
      {"t=" + t + ",v1" + good, "malformed_header"},
      {"garbage", "malformed_header"},
      {"t=" + t, "no_v1_signature"},
      {"t=" + t + ",,v1=" + good, "malformed_header"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(code(verify_stripe_signature(c.header, body, secret, now_s)), c.expected)
        << "header '" << c.header << "'";
  }
}

TEST(StripeSignature, SpacesAroundItemsAccepted) {
  std::string header = "t=" + std::to_string(now_s) + ", v1=" + stripe_signature_hex(secret, now_s, body);
  EXPECT_EQ(code(verify_stripe_signature(header, body, secret, now_s)), "ok");
}

TEST(StripeSecretFile, ReadsWithOneTrailingNewlineRemoved) {
  std::string path = ::testing::TempDir() + "/stripe_secret_test";
  std::ofstream(path) << secret << "\n";
  EXPECT_EQ(read_stripe_secret_file(path), secret);
  std::ofstream(path) << "";
  EXPECT_THROW((void)read_stripe_secret_file(path), std::runtime_error);
  EXPECT_THROW((void)read_stripe_secret_file(path + "_missing"), std::runtime_error);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace bulwark::gateway
