# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for netnsp(1): commands, options, profile names from the
# config (--config, else $NETNSP_CONFIG, else /etc/netns-proxy/netnsp.conf).

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

set -l cmds daemon status exec down reload attach gc id
complete -c netnsp -f
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -s c -l config -rF -d 'settings file'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -s s -l state-dir -xa '(__fish_complete_directories)' -d 'state directory'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -s r -l run-dir -xa '(__fish_complete_directories)' -d 'runtime directory'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -s v -l verbose -d 'log debug messages'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -s q -l quiet -d 'log errors only'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -s h -l help -d 'show help'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -s V -l version -d 'show the version'

complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -a daemon -d 'run the service in the foreground'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -a status -d 'show each subject'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -a exec -d 'run a command in a profile\'s namespace'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -a down -d 'remove namespaces and their state'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -a reload -d 're-read the config'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -a attach -d 'put the namespace of process PID under PROFILE'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -a gc -d 'drop state entries so they are derived anew'
complete -c netnsp -n "not __fish_seen_subcommand_from $cmds" -a id -d 'print the profile whose namespace the caller is in'

complete -c netnsp -n "__fish_seen_subcommand_from status" -l json -d 'print JSON'
complete -c netnsp -n "__fish_seen_subcommand_from reload" -l dry-run -d 'print the plan only'
complete -c netnsp -n "__fish_seen_subcommand_from exec down gc; and not __fish_seen_argument -- --" -a '(__netnsp_profiles)' -d profile
complete -c netnsp -n "__fish_seen_subcommand_from attach" -a '(__fish_complete_pids)'
complete -c netnsp -n "__fish_seen_subcommand_from attach" -a '(__netnsp_profiles)' -d profile
