# SPDX-License-Identifier: GPL-2.0-or-later
# eval.nix - evaluate nix/package.nix and nix/module.nix without nixpkgs.
#
# Nothing here can fetch nixpkgs, so lib, stdenv and pkgs are small stubs
# with the same names and shapes as the parts the files use.  This catches
# syntax errors, missing arguments, misspelt attributes and wrong structure;
# it cannot catch a difference between the stubs and real nixpkgs.
# Run: nix-instantiate --eval --strict --json tests/nix/eval.nix
let
  stubLib = rec {
    hasPrefix = p: s: builtins.substring 0 (builtins.stringLength p) s == p;
    cleanSourceWith = { src, filter }: { inherit src; filtered = filter "/x/build-asan" "directory"; };
    mesonBool = k: v: "-D${k}=${if v then "true" else "false"}";
    mesonOption = k: v: "-D${k}=${v}";
    getExe = p: "${p.outPath}/bin/${p.meta.mainProgram}";
    licenses.gpl2Plus = "GPL-2.0-or-later";
    platforms.linux = [ "x86_64-linux" ];
    mkEnableOption = d: { type = "bool"; default = false; description = d; };
    mkOption = o: o;
    mkIf = cond: content: if cond then content else { };
    types = {
      package = "package";
      bool = "bool";
      path = "path";
      nullOr = t: "nullOr ${t}";
    };
  };
  # A derivation is its attribute set plus an outPath.
  stdenv.mkDerivation = a: a // { outPath = "/nix/store/stub-${a.pname}-${a.version}"; };
  drv = n: { name = n; };
  pkg = import ../../nix/package.nix {
    lib = stubLib;
    inherit stdenv;
    meson = drv "meson";
    ninja = drv "ninja";
    pkg-config = drv "pkg-config";
    inih = drv "inih";
    json_c = drv "json-c";
    libmnl = drv "libmnl";
    nftables = drv "nftables";
  };
  # pkgs.formats.ini with listsAsDuplicateKeys, rendered as nixpkgs documents it.
  iniRender = settings:
    builtins.concatStringsSep "\n" (map (sec:
      "[${sec}]\n" + builtins.concatStringsSep "" (map (k:
        let v = settings.${sec}.${k}; in
        builtins.concatStringsSep "" (map (x: "${k}=${toString x}\n")
          (if builtins.isList v then v else [ v ]))) (builtins.attrNames settings.${sec})))
      (builtins.attrNames settings));
  pkgs = {
    callPackage = _: _: pkg;
    formats.ini = { listsAsDuplicateKeys }: {
      type = "ini";
      generate = name: value: { inherit name; text = iniRender value; };
    };
  };
  settings = {
    "proxy corp".url = "socks5://192.0.2.10:1080";
    "profile work" = { via = "corp"; route = [ "*.onion tor" "10.0.0.0/8 block" ]; };
  };
  eval = extra: (import ../../nix/module.nix {
    lib = stubLib;
    inherit pkgs;
    config = {
      services.netns-proxy = {
        enable = true;
        package = pkg;
        inherit settings;
        configFile = null;
        setuidWrapper = false;
      } // extra;
      environment.etc."netns-proxy/netnsp.conf".source = "stub";
    };
  }).config;
  on = eval { setuidWrapper = true; };
  off = eval { };
in
{
  pname = pkg.pname;
  mesonFlags = pkg.mesonFlags;
  srcFilterDropsBuildDirs = !pkg.src.filtered;
  etcMode = on.environment.etc."netns-proxy/netnsp.conf".mode;
  ini = on.environment.etc."netns-proxy/netnsp.conf".source.text;
  wrapper = on.security.wrappers.netnsp;
  noWrapperByDefault = off.security.wrappers == { };
  unitFromPackage = on.systemd.packages == [ pkg ];
  wantedBy = on.systemd.services.netnsp.wantedBy;
}
