# SPDX-License-Identifier: GPL-2.0-or-later
# NixOS module: services.netns-proxy.
#
#   imports = [ /path/to/netns-proxy/nix/module.nix ];
#   services.netns-proxy = {
#     enable = true;
#     settings = {
#       "proxy corp" = { url = "socks5://192.0.2.10:1080"; };
#       "profile work" = { via = "corp"; users = "alice @wheel"; };
#     };
#     setuidWrapper = true;   # lets alice run `netnsp exec work -- CMD`
#   };
#
# settings are rendered to the INI file netnsp reads; a list value becomes a
# repeated key.  Everything in settings lands in the world-readable Nix store:
# put proxy passwords in a file of your own and point configFile at it.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.netns-proxy;
  ini = pkgs.formats.ini { listsAsDuplicateKeys = true; };
  generated = ini.generate "netnsp.conf" cfg.settings;
in
{
  options.services.netns-proxy = {
    enable = lib.mkEnableOption "netns-proxy, network namespaces whose only way out is a proxy chain";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./package.nix { };
      description = "The netns-proxy package.";
    };

    settings = lib.mkOption {
      type = ini.type;
      default = { };
      example = {
        "proxy corp".url = "socks5://192.0.2.10:1080";
        "profile work" = {
          via = "corp";
          dns = "fake";
          users = "alice @wheel";
        };
      };
      description = ''
        Sections and keys of netnsp.conf (netnsp(1)): "proxy NAME",
        "profile NAME", "flatpak".  Rendered to /etc/netns-proxy/netnsp.conf.
      '';
    };

    configFile = lib.mkOption {
      type = lib.types.nullOr lib.types.path;
      default = null;
      description = ''
        A config file to use instead of settings, for configs with secrets.
        Give it as a string ("/run/secrets/netnsp.conf"): a Nix path literal
        would be copied into the world-readable store.  It is copied to
        /etc/netns-proxy/netnsp.conf at activation.
      '';
    };

    setuidWrapper = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Install /run/wrappers/bin/netnsp setuid root, so the users a profile
        lists may run `netnsp exec PROFILE`.  The setuid path trusts only the
        built-in paths (/etc/netns-proxy/netnsp.conf, /var/lib/netns-proxy).
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ];

    # mode makes NixOS copy the file into /etc instead of linking into the
    # store: the setuid exec path refuses a config whose directory is
    # writable by others (/nix/store is group-writable), and 0600 keeps it
    # from other users.
    environment.etc."netns-proxy/netnsp.conf" = {
      source = if cfg.configFile != null then cfg.configFile else generated;
      mode = "0600";
    };

    systemd.packages = [ cfg.package ];
    systemd.services.netnsp = {
      wantedBy = [ "multi-user.target" ];
      # A changed config is applied by `netnsp reload`: unchanged profiles
      # keep their connections.
      reloadTriggers = [ config.environment.etc."netns-proxy/netnsp.conf".source ];
    };

    security.wrappers = lib.mkIf cfg.setuidWrapper {
      netnsp = {
        setuid = true;
        owner = "root";
        group = "root";
        source = lib.getExe cfg.package;
      };
    };
  };
}
