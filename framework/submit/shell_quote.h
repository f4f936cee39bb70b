// Values written into batch scripts and SLURM file names: quoted so that a space, quote, `$` or
// backquote in a name or path stays data and never becomes code or a second word.
#pragma once

#include <string>
#include <vector>

namespace fct::submit {

// 'text' for POSIX shells: single quotes, each ' written as '\''.
std::string shell_quote(const std::string& text);

// A command line as one shell line, every word quoted (for --dry-run and script comments).
std::string shell_command_line(const std::vector<std::string>& words);

// A path for sbatch --output: '%' doubled (SLURM reads %j, %A, %a); a backslash, which would turn
// SLURM's patterns off, or a newline is a ConfigError naming `what`.
std::string slurm_filename(const std::string& path, const std::string& what);

// Letters, digits and . _ - kept, anything else '_': for job and file names made from user names.
std::string plain_name(const std::string& text);

}  // namespace fct::submit
