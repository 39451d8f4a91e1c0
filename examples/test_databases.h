// The two databases every example uses, from the variables scripts/db.sh
// writes to DIR/env.sh (`. DIR/env.sh` before running an example):
// XATM_TEST_PG_CONNINFO for PostgreSQL (resource "pg"); XATM_TEST_MY_HOST,
// XATM_TEST_MY_PORT, XATM_TEST_MY_USER, XATM_TEST_MY_DATABASE and
// XATM_MY_PASSWORD for MariaDB (resource "my"). An application reads its
// own configuration instead; xatm only needs the ResourceConfig.
#pragma once

#include <xatm/xatm.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace example {

inline std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

inline xatm::ResourceConfig PostgresConfig() {
  xatm::ResourceConfig config;
  config.name = "pg";
  config.type = "postgresql";
  config.conninfo = Env("XATM_TEST_PG_CONNINFO");
  return config;
}

inline xatm::ResourceConfig MariadbConfig() {
  xatm::ResourceConfig config;
  config.name = "my";
  config.type = "mysql";
  config.host = Env("XATM_TEST_MY_HOST");
  config.port = std::atoi(Env("XATM_TEST_MY_PORT").c_str());
  config.user = Env("XATM_TEST_MY_USER");
  config.database = Env("XATM_TEST_MY_DATABASE");
  config.password = Env("XATM_MY_PASSWORD");  // never logged
  return config;
}

// A name no earlier run used, for the rows a run makes (runs may overlap).
inline std::string RunId() {
  return "r" + std::to_string(
                   std::chrono::system_clock::now().time_since_epoch().count());
}

}  // namespace example
