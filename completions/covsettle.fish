# covsettle.fish: fish completion for covsettle(1): its commands, each
# command's options with their values (--invalid, --report, --combine),
# commands for --trigger and --coverage, files, directories for DIR, paths
# for check.
# Installed as /usr/share/fish/vendor_completions.d/covsettle.fish.

set -l cmds wait check gather
complete -c covsettle -f
complete -c covsettle -n "not __fish_seen_subcommand_from $cmds" -a wait -d 'block until the data files of DIR have settled'
complete -c covsettle -n "not __fish_seen_subcommand_from $cmds" -a check -d 'verify data files'
complete -c covsettle -n "not __fish_seen_subcommand_from $cmds" -a gather -d 'wait, check, combine and report'
complete -c covsettle -n "not __fish_seen_subcommand_from $cmds" -s h -l help -d 'print the usage and exit'
complete -c covsettle -n "not __fish_seen_subcommand_from $cmds" -s V -l version -d 'print the versions and exit'

# every command
set -l any "__fish_seen_subcommand_from $cmds"
complete -c covsettle -n $any -s p -l pattern -x -d 'data file names in a directory'
complete -c covsettle -n $any -s q -l quiet -d 'print errors only'
complete -c covsettle -n $any -s v -l verbose -d 'print every event'
complete -c covsettle -n $any -l json -d 'print a JSON summary on standard output'
complete -c covsettle -n $any -s h -l help -d 'print the help and exit'

# wait and gather
set -l wg '__fish_seen_subcommand_from wait gather'
complete -c covsettle -n $wg -a '(__fish_complete_directories)' -d directory
complete -c covsettle -n $wg -s n -l expect -x -d 'wait for at least N data files'
complete -c covsettle -n $wg -s d -l debounce -x -d 'quiet window (250ms, 1.5s, 2m)'
complete -c covsettle -n $wg -s T -l timeout -x -d 'bound the whole wait (0 = no limit)'
complete -c covsettle -n $wg -l new-only -d 'count only files written after the watch is armed'
complete -c covsettle -n $wg -s t -l trigger -x -a '(__fish_complete_command)' -d 'run CMD once the watch is armed'
complete -c covsettle -n $wg -l poll -d 'poll instead of using inotify (--poll=INTERVAL)'
complete -c covsettle -n $wg -l ignore-writers -d 'do not wait for live pids named in file names'
complete -c covsettle -n $wg -l invalid -x -a 'fail quarantine' -d 'what to do with invalid files'

# gather
set -l g '__fish_seen_subcommand_from gather'
complete -c covsettle -n $g -l coverage -x -a '(__fish_complete_command)' -d 'the coverage.py command'
complete -c covsettle -n $g -l rcfile -r -F -d 'coverage.py settings'
complete -c covsettle -n $g -l data-file -r -F -d 'where the combined data file goes'
complete -c covsettle -n $g -l report -x -a 'text json html xml lcov' -d 'write a report (FORMAT[=PATH])'
complete -c covsettle -n $g -l report-option -x -a '--show-missing --skip-covered --skip-empty --precision= --include= --omit= --sort= --pretty-print --show-contexts --title= --contexts=' -d 'pass an option to coverage.py for the --report before it'
complete -c covsettle -n $g -l fail-under -x -d 'exit 1 below this total percentage'
complete -c covsettle -n $g -l no-keep -d 'delete the inputs once the combined file checks ok'
complete -c covsettle -n $g -l no-wait-lock -d 'exit 3 at once if another gather holds the lock'
complete -c covsettle -n $g -l combine -x -a 'auto native coverage' -d 'combine natively when safe, always, or by coverage.py'

# check: files and directories
complete -c covsettle -n '__fish_seen_subcommand_from check' -F
