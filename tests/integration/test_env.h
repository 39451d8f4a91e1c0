// Connection settings of the test servers, from the environment that
// scripts/db.sh writes (DIR/env.sh). A missing variable fails loudly: an
// integration test never passes without its database.
#pragma once

#include <map>
#include <string>

#include "xatm/resource_config.h"

namespace xatm::testing {

// Aborts the test program with a clear message when `var` is unset.
std::string RequireEnv(const char* var);

// The variables a DIR/env.sh of scripts/db.sh exports (lines
// "export NAME='value'"); empty when the file cannot be read.
std::map<std::string, std::string> ReadEnvFile(const std::string& path);

// A PostgreSQL resource named `name` on the test database.
ResourceConfig PostgresTestConfig(const std::string& name = "pg");
// A MariaDB resource named `name` on the test database.
ResourceConfig MysqlTestConfig(const std::string& name = "my");

// `digits` random hex digits, for names no other test run uses.
std::string RandomHex(int digits);

// An xatm.ini for node `node` with both test databases as resources "pg"
// and "my" (the MariaDB password through password_env), log_dir = log.
std::string TestConfigText(const std::string& node);

}  // namespace xatm::testing
