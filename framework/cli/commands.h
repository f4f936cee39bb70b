// The subcommands of `fct`, each defined in its own <name>_command.cpp. main() adds them all.
#pragma once

#include <CLI/CLI.hpp>

#include "framework/cli/command_context.h"

namespace fct::cli {

void add_train_command(CLI::App& app, const CommandContext& context);

}  // namespace fct::cli
