# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for netnsp(1): commands (from `netnsp --help`), options,
# profile names from the config (--config, else $NETNSP_CONFIG, else
# /etc/netns-proxy/netnsp.conf).

function __netnsp_profiles
    set -l conf /etc/netns-proxy/netnsp.conf
    set -q NETNSP_CONFIG; and set conf $NETNSP_CONFIG
    set -l words (commandline -opc)
    for i in (seq (count $words))
        switch $words[$i]
            case --config -c
                set -l j (math $i + 1)
                test $j -le (count $words); and set conf $words[$j]
            case '--config=*'
                set conf (string replace -- --config= '' $words[$i])
        end
    end
    test -r $conf; or return
    string match -rg '^\s*\[\s*profile\s+([^\]\s]+)\s*\]' <$conf
end

# "name<TAB>summary" for each command of `netnsp --help`: new commands complete at once.
function __netnsp_commands
    command netnsp --help 2>/dev/null | awk '
        /^Commands:/ { on = 1; next }
        on && /^$/ { exit }
        on { n = $1; $1 = ""; sub(/^ +/, ""); print n "\t" $0 }'
end

function __netnsp_no_command
    not __fish_seen_subcommand_from (__netnsp_commands | string replace -r '\t.*' '')
end

complete -c netnsp -f
complete -c netnsp -n __netnsp_no_command -s c -l config -rF -d 'settings file'
complete -c netnsp -n __netnsp_no_command -s s -l state-dir -xa '(__fish_complete_directories)' -d 'state directory'
complete -c netnsp -n __netnsp_no_command -s r -l run-dir -xa '(__fish_complete_directories)' -d 'runtime directory'
complete -c netnsp -n __netnsp_no_command -s v -l verbose -d 'log debug messages'
complete -c netnsp -n __netnsp_no_command -s q -l quiet -d 'log errors only'
complete -c netnsp -n __netnsp_no_command -s h -l help -d 'show help'
complete -c netnsp -n __netnsp_no_command -s V -l version -d 'show the version'
complete -c netnsp -n __netnsp_no_command -a '(__netnsp_commands)'

complete -c netnsp -n "__fish_seen_subcommand_from status" -l json -d 'print JSON'
complete -c netnsp -n "__fish_seen_subcommand_from reload" -l dry-run -d 'check the config, print the plan only'
complete -c netnsp -n "__fish_seen_subcommand_from gc" -l all -d 'drop the whole state'
complete -c netnsp -n "__fish_seen_subcommand_from exec down gc; and not __fish_seen_argument -- --" -a '(__netnsp_profiles)' -d profile
complete -c netnsp -n "__fish_seen_subcommand_from attach" -a '(__fish_complete_pids)'
complete -c netnsp -n "__fish_seen_subcommand_from attach" -a '(__netnsp_profiles)' -d profile
