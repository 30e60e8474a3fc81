// minirabbit/rabbitmq_conf.hpp
//
// CONCEPT: configuring minirabbit the way RabbitMQ is configured: its "new-style" rabbitmq.conf
// (a sysctl-like `key = value` file, RabbitMQ 3.7+) and the RABBITMQ_* environment variables its
// scripts read. Three sources, the most specific one wins:
//
//   command line   --port 5673                      (ours)
//        ^ wins over
//   rabbitmq.conf  listeners.tcp.default = 5672     (--config FILE, or RABBITMQ_CONFIG_FILE)
//        ^ wins over
//   environment    RABBITMQ_NODE_PORT=5672
//
// rabbitmq.conf keys are translated into our option names (listeners.tcp.default -> --port and
// --bind, management.tcp.port -> --admin-port, log.console.level -> --loglevel, ...); keys
// RabbitMQ knows that minirabbit does not implement are accepted and listed in one warning line;
// unknown keys are refused naming file:line, as RabbitMQ refuses them at boot.
//
// READ NEXT: rabbitmq_conf.cpp (the translation table), main.cpp (where the values are used).
#pragma once

#include <functional>
#include <span>

#include "options.hpp"

namespace minirabbit {

// Our options that only exist because RabbitMQ has them (--config, --default-user, ...).
std::span<const mb::OptionSpec> rabbitmq_conf_options();
mb::ConfigFileRules rabbitmq_conf_rules();

// After Options::parse(): reads the rabbitmq.conf named by --config or RABBITMQ_CONFIG_FILE, then
// the environment, each only for options nothing more specific set. Throws mb::OptionError (a
// bad variable) or mb::ConfigFileError (a bad line).
using GetEnv = std::function<const char*(const char*)>;
void load_rabbitmq_config(mb::Options& options, const GetEnv& getenv);

// `loopback_users.guest = false`, `loopback_users = none`: the --loopback-users list, split.
std::vector<std::string> loopback_users(const mb::Options& options);

}  // namespace minirabbit
