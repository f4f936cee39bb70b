// The subcommands of `fct`, each defined in its own <name>_command.cpp. main() adds them all.
#pragma once

#include <CLI/CLI.hpp>

#include "framework/cli/command_context.h"
#include "framework/config/experiment_config.h"

namespace fct::cli {

void add_train_command(CLI::App& app, const CommandContext& context);
void add_run_command(CLI::App& app, const CommandContext& context);
void add_embed_command(CLI::App& app, const CommandContext& context);
void add_transform_command(CLI::App& app, const CommandContext& context);
void add_eval_command(CLI::App& app, const CommandContext& context);
void add_data_command(CLI::App& app, const CommandContext& context);
void add_sweep_command(CLI::App& app, const CommandContext& context);
void add_grid_command(CLI::App& app, const CommandContext& context);
void add_submit_command(CLI::App& app, const CommandContext& context);
void add_backfill_command(CLI::App& app, const CommandContext& context);
void add_cache_command(CLI::App& app, const CommandContext& context);
void add_status_command(CLI::App& app, const CommandContext& context);
void add_report_command(CLI::App& app, const CommandContext& context);
void add_store_command(CLI::App& app, const CommandContext& context);
void add_model_command(CLI::App& app, const CommandContext& context);
void add_export_command(CLI::App& app, const CommandContext& context);

// --threads, --device and --timeout of the commands without a config file.
void add_device_options(CLI::App& command, config::DistConfig& dist);

}  // namespace fct::cli
