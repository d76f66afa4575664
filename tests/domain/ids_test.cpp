#include "domain/ids.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bulwark::domain {
namespace {

using namespace std::string_literals;

TEST(Ids, TenantIdLengthBounds) {
  EXPECT_FALSE(is_valid_tenant_id(""));
  EXPECT_TRUE(is_valid_tenant_id("t"));
  EXPECT_TRUE(is_valid_tenant_id(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_tenant_id(std::string(65, 'a')));
  EXPECT_TRUE(is_valid_principal_id(std::string(64, 'p')));
  EXPECT_FALSE(is_valid_principal_id(std::string(65, 'p')));
}

TEST(Ids, EntityIdLengthBounds) {
  EXPECT_FALSE(is_valid_entity_id(""));
  EXPECT_TRUE(is_valid_entity_id("r"));
  EXPECT_TRUE(is_valid_entity_id(std::string(128, 'r')));
  EXPECT_FALSE(is_valid_entity_id(std::string(129, 'r')));
}

TEST(Ids, AcceptsAllowedCharacters) {
  EXPECT_TRUE(is_valid_tenant_id("Acme_Corp.eu-1"));
  EXPECT_TRUE(is_valid_principal_id("alice.smith_2-x"));
  EXPECT_TRUE(is_valid_entity_id("r-1:retry_2.B"));
}

TEST(Ids, ColonOnlyInEntityIds) {
  EXPECT_TRUE(is_valid_entity_id("action:a-1"));
  EXPECT_FALSE(is_valid_tenant_id("acme:eu"));
  EXPECT_FALSE(is_valid_principal_id("alice:admin"));
}

TEST(Ids, RejectsBadCharacters) {
  const std::string bad_ids[] = {
      "a/b", "a b", "a\0b"s, "\0"s, "caf\xc3\xa9", "\xe2\x82\xac", "a\nb", "a\tb",
      "a%2Fb", "a\\b", "a*", "a?b", "a#b", "a,b", "a;b", "a\"b", "a'b", "a@b", "\x7f",
  };
  for (const auto& id : bad_ids) {
    EXPECT_FALSE(is_valid_tenant_id(id)) << "tenant id of " << id.size() << " bytes";
    EXPECT_FALSE(is_valid_principal_id(id)) << "principal id of " << id.size() << " bytes";
    EXPECT_FALSE(is_valid_entity_id(id)) << "entity id of " << id.size() << " bytes";
  }
}

TEST(Ids, RejectsBadCharacterAtMaxLength) {
  std::string id(128, 'a');
  id[127] = '/';
  EXPECT_FALSE(is_valid_entity_id(id));
  std::string tenant(64, 'a');
  tenant[0] = ' ';
  EXPECT_FALSE(is_valid_tenant_id(tenant));
}

}  // namespace
}  // namespace bulwark::domain
