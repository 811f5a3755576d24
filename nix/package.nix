# SPDX-License-Identifier: GPL-2.0-or-later
# netns-proxy for Nix: `pkgs.callPackage ./nix/package.nix { }`.
#
# Installs bin/netnsp (not setuid: the Nix store cannot hold setuid files; the
# NixOS module in ./module.nix adds a security.wrappers entry on request),
# the systemd unit, completions and the man page.  The sample config is not
# installed: NixOS writes /etc/netns-proxy/netnsp.conf from the module's
# settings.
{
  lib,
  stdenv,
  meson,
  ninja,
  pkg-config,
  inih,
  json_c,
  libmnl,
  nftables,
}:

stdenv.mkDerivation {
  pname = "netns-proxy";
  version = "0.1.0";

  src = lib.cleanSourceWith {
    src = ../.;
    # Build dirs and packaging output never enter the source.
    filter = path: type: !(lib.hasPrefix "build" (baseNameOf path)) && baseNameOf path != "result";
  };

  nativeBuildInputs = [
    meson
    ninja
    pkg-config
  ];
  buildInputs = [
    inih
    json_c
    libmnl
    nftables # libnftables and its pkg-config file
  ];

  mesonFlags = [
    # NixOS has no /sbin convention; the unit's ExecStart follows this.
    "--sbindir=bin"
    (lib.mesonBool "setuid" false)
    (lib.mesonBool "install_config" false)
    (lib.mesonOption "systemdunitdir" "${placeholder "out"}/lib/systemd/system")
    (lib.mesonOption "bashcompletiondir" "${placeholder "out"}/share/bash-completion/completions")
    (lib.mesonOption "zshcompletiondir" "${placeholder "out"}/share/zsh/site-functions")
  ];

  # The unit tests that matter need root and network namespaces.
  doCheck = false;

  meta = {
    description = "Run programs in network namespaces whose only way out is a proxy chain";
    license = lib.licenses.gpl2Plus;
    platforms = lib.platforms.linux;
    mainProgram = "netnsp";
  };
}
