#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The packaging_deb test (tests/packaging/CMakeLists.txt). Builds the Debian packages of
# installer/packaging.cmake with CPack from a configured and built tree, then checks them the way
# a user would meet them:
#
#  1. control data: Package, Version, Architecture, Maintainer, Section, Homepage, Description;
#     Depends holds the package of every library the binaries link (dpkg-shlibdeps worked), the
#     run-time plugins (SQLite driver, SVG), and every qml6-module-* the QML needs, found by
#     walking the QML's imports through Qt's qmldir files; conffiles; maintainer scripts.
#  2. contents: exactly the expected files, owned by root, with the right modes.
#  3. the systemd unit: `systemd-analyze verify` against the extracted binary (no warning
#     allowed), `systemd-analyze security --offline` under a threshold, and its user, state
#     directory and config agreeing with the postinst and server.ini.
#  4. the .desktop files (desktop-file-validate, Exec and Icon resolve inside the package), the
#     opt-in autostart file, the AppStream data (appstreamcli validate).
#  5. the binaries run from the package: flippdeal-server --help/--version, the unit's own
#     ExecStartPre (migrate) and ExecStart (serve) command lines with the packaged config
#     against a temporary SQLite file, GET /health, a clean SIGTERM; flippdeal-desktop --help.
#  6. as root: dpkg --root installs every package into a scratch root (Depends checked against
#     this machine's installed packages), with the maintainer scripts run chrootless against
#     stub adduser/systemctl/...; then reinstall (upgrade path), remove (state kept), purge
#     (state and config gone).
#
# Any problem is reported and the script goes on; it exits 1 if there was at least one.
set -uo pipefail

usage() {
    echo "usage: $0 --build-dir DIR --source-dir DIR --cpack CPACK --version UPSTREAM-REVISION" \
         "--qml-dir QT_INSTALL_QML --admin yes|no" >&2
    exit 2
}
build= src= cpack=cpack version= qml_dir= admin=no
while (($#)); do
    case "$1" in
        --build-dir) build=$2; shift 2 ;;
        --source-dir) src=$2; shift 2 ;;
        --cpack) cpack=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --qml-dir) qml_dir=$2; shift 2 ;;
        --admin) admin=$2; shift 2 ;;
        *) usage ;;
    esac
done
[[ -n $build && -n $src && -n $version && -n $qml_dir ]] || usage
upstream=${version%-*}

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
mark=0
section() { echo; echo "== $*"; mark=$failures; }
summary() { ((failures == mark)) && echo "ok: $*"; } # a section's summary, when it found nothing

# Tools the checks need (scripts/bootstrap.sh installs them). A missing one is a failure, not a
# skip: a check that silently does not run proves nothing.
for tool in dpkg dpkg-deb dpkg-shlibdeps dpkg-query systemd-analyze desktop-file-validate \
            appstreamcli curl readelf ldd file; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/bootstrap.sh)" >&2; exit 1; }
done
arch=$(dpkg --print-architecture)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flippdeal-packaging.XXXXXX")
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- 0. build the packages ------------------------------------------------------------------
section "cpack -G DEB from $build"
if ! "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1; then
    cat "$tmp/cpack.log" >&2
    echo "FAIL: cpack failed" >&2
    exit 1
fi
grep -E '^CPack: - package: ' "$tmp/cpack.log"

packages=(flippdeal-server flippdeal-desktop)
[[ $admin == yes ]] && packages+=(flippdeal-admin)
declare -A deb
for p in "${packages[@]}"; do
    deb[$p]="$tmp/out/${p}_${version}_${arch}.deb"
    if [[ -f ${deb[$p]} ]]; then ok "built $(basename "${deb[$p]}")"; else fail "no ${p}_${version}_${arch}.deb"; fi
done
for f in "$tmp"/out/*.deb; do
    name=$(basename "$f")
    [[ " ${packages[*]} " == *" ${name%%_*} "* ]] || fail "unexpected package $name"
done
((failures)) && exit 1

field() { dpkg-deb -f "${deb[$1]}" "$2"; }

# "pkg" appears in a Depends-style list as a whole package name (alone, versioned or in an |).
has_dep() {
    local list=",$1," re="[,|][[:space:]]*${2//+/\\+}([[:space:]]*[(][^)]*[)])?[[:space:]]*[,|]"
    [[ $list =~ $re ]]
}

# ---- 1. control data ------------------------------------------------------------------------
section "control data"
declare -A want_section=([flippdeal-server]=net [flippdeal-desktop]=net [flippdeal-admin]=admin)
for p in "${packages[@]}"; do
    [[ $(field "$p" Package) == "$p" ]] || fail "$p: Package is '$(field "$p" Package)'"
    [[ $(field "$p" Version) == "$version" ]] || fail "$p: Version is '$(field "$p" Version)', want $version"
    [[ $(field "$p" Architecture) == "$arch" ]] || fail "$p: Architecture is '$(field "$p" Architecture)'"
    [[ $(field "$p" Maintainer) =~ ^[^\<]+\ \<[^@\>]+@[^\>]+\>$ ]] || fail "$p: Maintainer '$(field "$p" Maintainer)' is not 'Name <email>'"
    [[ $(field "$p" Section) == "${want_section[$p]}" ]] || fail "$p: Section is '$(field "$p" Section)'"
    [[ $(field "$p" Homepage) =~ ^https?:// ]] || fail "$p: no Homepage"
    desc=$(field "$p" Description)
    [[ $(head -n1 <<<"$desc") =~ ^[[:alnum:]].{9,79}$ ]] || fail "$p: Description synopsis '$(head -n1 <<<"$desc")'"
    (($(wc -l <<<"$desc") >= 3)) || fail "$p: Description has no extended text"
    mkdir -p "$tmp/ctrl/$p"
    dpkg-deb -e "${deb[$p]}" "$tmp/ctrl/$p" || fail "$p: dpkg-deb -e"
    [[ -s $tmp/ctrl/$p/md5sums ]] || fail "$p: no md5sums"
done
summary "Package, Version $version, Architecture $arch, Maintainer, Section, Homepage, Description"

# Depends: the package of every library each binary links (what dpkg-shlibdeps is for).
lib_package() { # path of a shared library -> the Debian package that ships it
    local path owner
    for path in "$1" "$(readlink -f "$1")"; do
        for candidate in "$path" "${path#/usr}" "/usr$path"; do
            owner=$(dpkg-query -S "$candidate" 2>/dev/null | head -n1) && [[ -n $owner ]] &&
                { echo "${owner%%:*}"; return 0; }
        done
    done
    return 1
}
check_linked_libraries() { # package, binary inside the extracted package
    local p=$1 bin=$2 depends needed path owner
    depends=$(field "$p" Depends)
    if ldd "$bin" | grep -q 'not found'; then
        fail "$p: $(basename "$bin") has unresolved libraries: $(ldd "$bin" | grep 'not found' | tr -s ' \t' ' ')"
    fi
    for needed in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        # "libX.so.N => /path (addr)", or "/lib64/ld-linux-x86-64.so.2 (addr)" for the loader
        path=$(ldd "$bin" | awk -v lib="$needed" '$1 == lib && $3 ~ /^\// { print $3 }
            $1 ~ /^\// && (n = split($1, parts, "/")) > 0 && parts[n] == lib { print $1 }' | head -n1)
        [[ -n $path ]] || { fail "$p: ldd does not resolve $needed"; continue; }
        owner=$(lib_package "$path") || { fail "$p: no Debian package ships $needed ($path)"; continue; }
        has_dep "$depends" "$owner" || fail "$p: links $needed from $owner, which is not in Depends"
    done
}

# The qml6-module-* packages the desktop client's QML needs: its imports, plus the Basic style it
# selects, followed through every qmldir's import/depends lines. Debian's QML packages do not
# depend on each other, so each one must be listed.
qml_packages() {
    local -A seen=()
    local -a queue=() found=()
    local m f owner next
    mapfile -t queue < <(
        {
            grep -rhoE '^[[:space:]]*import[[:space:]]+Qt[A-Za-z0-9.]*' "$src/qml" --include='*.qml' |
                awk '{ print $2 }'
            find "$build/qml" -name qmldir -exec awk '($1 == "import" || $1 == "depends") && $2 ~ /^Qt/ { print $2 }' {} + 2>/dev/null
            echo QtQuick.Controls.Basic # QQuickStyle::setStyle("Basic") in client-desktop/app/main.cpp
        } | sort -u)
    while ((${#queue[@]})); do
        m=${queue[0]}
        queue=("${queue[@]:1}")
        [[ -n ${seen[$m]:-} ]] && continue
        seen[$m]=1
        f="$qml_dir/${m//.//}/qmldir"
        # (runs in $(...): a problem comes out as a name no Depends has, which fails below)
        if [[ ! -f $f ]]; then
            found+=("qml-module-$m-is-not-installed-here")
            continue
        fi
        owner=$(dpkg-query -S "$f" 2>/dev/null | head -n1)
        found+=("${owner:+${owner%%:*}}")
        [[ -n $owner ]] || found+=("qml-module-$m-is-in-no-debian-package")
        while read -r next; do queue+=("$next"); done < <(
            awk '($1 == "import" || $1 == "depends") { print $2 }
                 $1 == "default" && $2 == "import" { print $3 }' "$f")
    done
    printf '%s\n' "${found[@]}" | sort -u
}

# ---- 2. contents ----------------------------------------------------------------------------
section "contents"
declare -A expected
expected[flippdeal-server]="./etc/flippdeal/server.ini
./lib/systemd/system/flippdeal-server.service
./usr/bin/flippdeal-server
./usr/share/doc/flippdeal-server/configuration.md
./usr/share/doc/flippdeal-server/copyright
./usr/share/doc/flippdeal-server/packaging.md"
expected[flippdeal-desktop]="./usr/bin/flippdeal-desktop
./usr/share/applications/flippdeal-desktop.desktop
./usr/share/doc/flippdeal-desktop/copyright
./usr/share/flippdeal/autostart/flippdeal-desktop.desktop
./usr/share/icons/hicolor/scalable/apps/flippdeal.svg
./usr/share/metainfo/METAINFO"
expected[flippdeal-admin]="./usr/bin/flippdeal-admin
./usr/share/applications/flippdeal-admin.desktop
./usr/share/doc/flippdeal-admin/copyright
./usr/share/icons/hicolor/scalable/apps/flippdeal-admin.svg"

root="$tmp/root" # every package extracted over one another, as dpkg would install them
mkdir -p "$root"
for p in "${packages[@]}"; do
    dpkg-deb -c "${deb[$p]}" >"$tmp/$p.list" || fail "$p: dpkg-deb -c"
    # dirs and files alike: owner root/root, no setuid/setgid, nothing world-writable
    bad=$(awk '$2 != "root/root" { print "owner " $2 " on " $6 }
               $1 ~ /^...[sS]|^......[sS]|^........w/ { print "mode " $1 " on " $6 }' "$tmp/$p.list")
    [[ -z $bad ]] || fail "$p: $bad"
    actual=$(awk '$1 !~ /^d/ { print $6 }' "$tmp/$p.list" |
             sed 's#^\./usr/share/metainfo/[^/]*\.metainfo\.xml$#./usr/share/metainfo/METAINFO#' | sort)
    want=$(sort <<<"${expected[$p]}")
    if [[ $actual != "$want" ]]; then
        fail "$p: contents differ from the expected list (- expected, + packaged):"
        diff <(echo "$want") <(echo "$actual") | grep '^[<>]' | sed 's/^</  -/; s/^>/  +/' >&2
    fi
    # executables 0755, everything else 0644
    bad=$(awk '$1 !~ /^d/ && (($6 ~ /^\.\/usr\/bin\// && $1 != "-rwxr-xr-x") ||
                               ($6 !~ /^\.\/usr\/bin\// && $1 != "-rw-r--r--")) { print $1 " " $6 }' "$tmp/$p.list")
    [[ -z $bad ]] || fail "$p: wrong modes (want 0755 in /usr/bin, 0644 elsewhere): $bad"
    dpkg-deb -x "${deb[$p]}" "$root" || fail "$p: dpkg-deb -x"
done
for p in "${packages[@]}"; do
    bin="$root/usr/bin/$p"
    if [[ -x $bin ]] && file -L "$bin" | grep -q 'ELF.*executable'; then ok "$p: /usr/bin/$p is an ELF executable"
    else fail "$p: /usr/bin/$p is not an executable ELF file"; fi
done
summary "contents listed: $(cat "$tmp"/*.list | awk '$1 !~ /^d/' | wc -l) files in ${#packages[@]} packages"

section "Depends"
for p in "${packages[@]}"; do
    [[ -x $root/usr/bin/$p ]] && check_linked_libraries "$p" "$root/usr/bin/$p"
done
server_depends=$(field flippdeal-server Depends)
for d in adduser libqt6sql6-sqlite libqt6core6 libqt6network6 libqt6sql6 libsodium23 libgumbo1; do
    has_dep "$server_depends" "$d" || fail "flippdeal-server: Depends lacks $d: $server_depends"
done
has_dep "$(field flippdeal-server Recommends)" libqt6sql6-psql || fail "flippdeal-server: does not recommend libqt6sql6-psql"
desktop_depends=$(field flippdeal-desktop Depends)
qml_needed=$(qml_packages)
[[ -n $qml_needed ]] || fail "no QML module packages found for the desktop client's imports"
for d in $qml_needed libqt6svg6 libqt6keychain1 libqt6quick6 libqt6quickcontrols2-6 libqt6widgets6; do
    has_dep "$desktop_depends" "$d" || fail "flippdeal-desktop: Depends lacks $d: $desktop_depends"
done
echo "QML run-time packages the desktop client needs: $(echo $qml_needed)"
if [[ $admin == yes ]]; then
    has_dep "$(field flippdeal-admin Depends)" libqt6svg6 || fail "flippdeal-admin: Depends lacks libqt6svg6"
fi
summary "Depends: linked libraries, plugins and QML modules"

# ---- conffiles and maintainer scripts -------------------------------------------------------
section "conffiles and maintainer scripts"
ctrl="$tmp/ctrl/flippdeal-server"
if [[ $(cat "$ctrl/conffiles" 2>/dev/null) == "/etc/flippdeal/server.ini" ]]; then
    ok "flippdeal-server: conffiles = /etc/flippdeal/server.ini"
else
    fail "flippdeal-server: conffiles is '$(cat "$ctrl/conffiles" 2>/dev/null)', want /etc/flippdeal/server.ini"
fi
for s in postinst prerm postrm; do
    if [[ ! -f $ctrl/$s ]]; then fail "flippdeal-server: no $s"; continue; fi
    [[ $(stat -c %a "$ctrl/$s") == 755 ]] || fail "flippdeal-server: $s mode $(stat -c %a "$ctrl/$s")"
    [[ $(head -n1 "$ctrl/$s") == "#!/bin/sh" ]] || fail "flippdeal-server: $s does not start with #!/bin/sh"
    grep -qx 'set -e' "$ctrl/$s" || fail "flippdeal-server: $s has no 'set -e'"
    sh -n "$ctrl/$s" || fail "flippdeal-server: $s has a syntax error"
done
for p in flippdeal-desktop flippdeal-admin; do
    [[ " ${packages[*]} " == *" $p "* ]] || continue
    for s in preinst postinst prerm postrm conffiles; do
        [[ -e $tmp/ctrl/$p/$s ]] && fail "$p: has a $s, it needs none"
    done
done
summary "postinst, prerm, postrm: #!/bin/sh, set -e, parse"

# ---- 3. the systemd unit --------------------------------------------------------------------
section "systemd unit"
unit="$root/lib/systemd/system/flippdeal-server.service"
unit_value() { sed -n "s/^$1=//p" "$unit" | tail -n1; }
if [[ -f $unit ]]; then
    # A scratch root holding the package and the host's targets and slices (the unit's default
    # dependencies), so that systemd-analyze resolves /usr/bin/flippdeal-server to the packaged
    # binary and nothing on this machine.
    vroot="$tmp/verify-root"
    mkdir -p "$vroot/lib/systemd/system"
    cp -a "$root/." "$vroot/"
    for dir in /lib/systemd/system /usr/lib/systemd/system; do
        [[ -d $dir ]] && cp -an "$dir"/*.target "$dir"/*.slice "$vroot/lib/systemd/system/" 2>/dev/null
    done
    # systemd-analyze verify exits 0 on unknown keys and bad values (it only logs them), so any
    # output at all is a failure. It does not look the User= up: the user comes from the
    # postinst, checked below and in the dpkg install.
    out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify --root="$vroot" /lib/systemd/system/flippdeal-server.service 2>&1)
    rc=$?
    if ((rc == 0)) && [[ -z $out ]]; then ok "systemd-analyze verify: clean"
    else fail "systemd-analyze verify (exit $rc): $out"; fi
    # The hardening: systemd's exposure score (0 = locked down, 10 = none; the unit rates 1.1).
    if out=$(systemd-analyze security --offline=true --threshold=20 --root="$vroot" \
                 /lib/systemd/system/flippdeal-server.service 2>&1); then
        ok "systemd-analyze security: $(grep -o 'Overall exposure level.*' <<<"$out")"
    else
        fail "systemd-analyze security: exposure above 2.0: $(grep -o 'Overall exposure level.*' <<<"$out")"
    fi
    [[ $(unit_value User) == flippdeal && $(unit_value Group) == flippdeal ]] ||
        fail "unit: User/Group are '$(unit_value User)/$(unit_value Group)', want flippdeal"
    [[ $(unit_value StateDirectory) == flippdeal ]] || fail "unit: StateDirectory is '$(unit_value StateDirectory)'"
    [[ $(unit_value ExecStartPre) == "/usr/bin/flippdeal-server migrate --config /etc/flippdeal/server.ini" ]] ||
        fail "unit: ExecStartPre is '$(unit_value ExecStartPre)'"
    [[ $(unit_value ExecStart) == "/usr/bin/flippdeal-server serve --config /etc/flippdeal/server.ini" ]] ||
        fail "unit: ExecStart is '$(unit_value ExecStart)'"
    [[ $(unit_value WantedBy) == multi-user.target ]] || fail "unit: WantedBy is '$(unit_value WantedBy)'"
    for key in NoNewPrivileges ProtectSystem ProtectHome PrivateTmp; do
        [[ -n $(unit_value $key) ]] || fail "unit: no $key="
    done
    [[ $(sed -n 's/^data-dir=//p' "$root/etc/flippdeal/server.ini") == /var/lib/flippdeal ]] ||
        fail "server.ini: data-dir is not /var/lib/flippdeal, the unit's StateDirectory"
    grep -q -- '--home /var/lib/flippdeal' "$ctrl/postinst" && grep -q 'adduser --system' "$ctrl/postinst" ||
        fail "postinst: does not create the system user flippdeal with home /var/lib/flippdeal"
    summary "unit: user flippdeal, StateDirectory=flippdeal = data-dir, migrate before serve, hardening"
else
    fail "no /lib/systemd/system/flippdeal-server.service"
fi

# ---- 4. desktop entries, autostart, AppStream -----------------------------------------------
section "desktop entries"
desktop_value() { # file key -> value in [Desktop Entry]
    awk -v key="$2" '/^\[/ { group = $0; next }
        group == "[Desktop Entry]" && index($0, key "=") == 1 { print substr($0, length(key) + 2); exit }' "$1"
}
check_desktop_file() { # package, file, categories
    local p=$1 f=$2 categories=$3 exec icon
    [[ -f $f ]] || { fail "$p: no ${f#"$root"}"; return; }
    out=$(desktop-file-validate "$f" 2>&1) || fail "$p: desktop-file-validate ${f#"$root"}: $out"
    grep -v '^.*: hint: ' <<<"$out" | grep -q . && fail "$p: desktop-file-validate ${f#"$root"}: $out"
    for key in Name Comment Exec Icon; do
        [[ -n $(desktop_value "$f" $key) ]] || fail "$p: ${f#"$root"} has no $key"
    done
    exec=$(desktop_value "$f" Exec); exec=${exec%% *}
    [[ -x $root/usr/bin/$exec ]] || fail "$p: ${f#"$root"}: Exec '$exec' is not a packaged /usr/bin program"
    icon=$(desktop_value "$f" Icon)
    [[ -f $root/usr/share/icons/hicolor/scalable/apps/$icon.svg ]] &&
        grep -q '<svg' "$root/usr/share/icons/hicolor/scalable/apps/$icon.svg" ||
        fail "$p: ${f#"$root"}: Icon '$icon' is not an SVG in the hicolor theme of the package"
    [[ $(desktop_value "$f" StartupWMClass) == "$exec" ]] ||
        fail "$p: ${f#"$root"}: StartupWMClass is '$(desktop_value "$f" StartupWMClass)', want $exec"
    [[ -z $categories || $(desktop_value "$f" Categories) == "$categories" ]] ||
        fail "$p: ${f#"$root"}: Categories is '$(desktop_value "$f" Categories)', want $categories"
}
check_desktop_file flippdeal-desktop "$root/usr/share/applications/flippdeal-desktop.desktop" \
    "Network;InstantMessaging;Office;"
autostart="$root/usr/share/flippdeal/autostart/flippdeal-desktop.desktop"
check_desktop_file flippdeal-desktop "$autostart" ""
[[ $(desktop_value "$autostart" X-GNOME-Autostart-enabled) == true ]] || fail "autostart: X-GNOME-Autostart-enabled is not true"
grep -q -- '--minimized' "$autostart" && fail "autostart: Exec has --minimized"
[[ -e $root/etc/xdg/autostart ]] && fail "a package ships /etc/xdg/autostart: autostart must be opt-in"
if [[ $admin == yes ]]; then
    check_desktop_file flippdeal-admin "$root/usr/share/applications/flippdeal-admin.desktop" ""
fi
metainfo=$(ls "$root"/usr/share/metainfo/*.metainfo.xml 2>/dev/null | head -n1)
if [[ -n $metainfo ]]; then
    out=$(appstreamcli validate --no-net --no-color "$metainfo" 2>&1) || fail "appstreamcli validate: $out"
    grep -q '<launchable type="desktop-id">flippdeal-desktop.desktop</launchable>' "$metainfo" ||
        fail "metainfo: launchable is not flippdeal-desktop.desktop"
    grep -q "<release version=\"$upstream\"" "$metainfo" || fail "metainfo: no release $upstream"
    id=$(sed -n 's:.*<id>\(.*\)</id>.*:\1:p' "$metainfo")
    [[ $(basename "$metainfo") == "$id.metainfo.xml" ]] || fail "metainfo: file name is not <id>.metainfo.xml ($id)"
fi
summary "desktop-file-validate, Exec/Icon/StartupWMClass, opt-in autostart, AppStream"

# ---- 5. the packaged binaries run -----------------------------------------------------------
section "packaged binaries"
server="$root/usr/bin/flippdeal-server"
# Only the packaged config may configure the server here (FLIPPDEAL_CONFIG, FLIPPDEAL_DATABASE...).
while read -r var; do unset "$var"; done < <(compgen -e | grep '^FLIPPDEAL_')
export HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/runtime" QT_QPA_PLATFORM=offscreen
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
out=$(timeout 60 "$server" --help 2>&1) && grep -q 'migrate' <<<"$out" && grep -q 'serve' <<<"$out" ||
    fail "flippdeal-server --help: $out"
out=$(timeout 60 "$server" --version 2>&1)
[[ $out == "flippdeal-server $upstream" ]] || fail "flippdeal-server --version says '$out', want $upstream"
# The packaged config with data-dir in a temporary folder and any free port: proves every key
# of the shipped server.ini is accepted.
run="$tmp/run"
mkdir -p "$run"
sed -e "s#^data-dir=.*#data-dir=$run/state#" -e 's#^listen=.*#listen=127.0.0.1:0#' \
    "$root/etc/flippdeal/server.ini" >"$run/server.ini"
as_packaged() { # a command line of the unit -> runs against the extracted binary and test config
    sed -e "s#/usr/bin/#$root/usr/bin/#g" -e "s#/etc/flippdeal/server.ini#$run/server.ini#g" <<<"$1"
}
pre=$(as_packaged "$(unit_value ExecStartPre)")
for attempt in install upgrade; do # the second run is what every restart after an upgrade does
    if out=$(timeout 120 $pre 2>&1) && [[ -s $run/state/flippdeal.sqlite ]]; then
        ok "ExecStartPre (migrate, $attempt): $(tail -n1 <<<"$out")"
    else
        fail "ExecStartPre '$pre' ($attempt): $out"
    fi
done
start=$(as_packaged "$(unit_value ExecStart)")
$start >"$run/serve.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 300); do # 30 s
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$run/serve.log" | head -n1)
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -n $port ]] && curl -fsS --max-time 30 "http://127.0.0.1:$port/health" >"$run/health" 2>&1; then
    ok "ExecStart (serve) with the packaged config: GET /health $(cat "$run/health")"
else
    fail "ExecStart '$start' did not serve /health: $(cat "$run/serve.log" "$run/health" 2>/dev/null)"
fi
kill -TERM "$server_pid" 2>/dev/null
for _ in $(seq 150); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid"
    fail "flippdeal-server serve still ran 15 s after SIGTERM"
fi
wait "$server_pid"
rc=$?
server_pid=
((rc == 0)) || fail "flippdeal-server serve exited $rc after SIGTERM, want 0: $(tail -n3 "$run/serve.log")"
out=$(timeout 60 "$root/usr/bin/flippdeal-desktop" --help 2>&1) && grep -q -- '--server' <<<"$out" ||
    fail "flippdeal-desktop --help: $out"
out=$(timeout 60 "$root/usr/bin/flippdeal-desktop" --version 2>&1)
grep -q "$upstream" <<<"$out" || fail "flippdeal-desktop --version says '$out'"
summary "flippdeal-server --help/--version, migrate twice, serve, SIGTERM; flippdeal-desktop --help/--version"

# ---- 6. dpkg install, upgrade, remove, purge into a scratch root ----------------------------
section "dpkg --root install / reinstall / remove / purge"
if (($(id -u) != 0)); then
    echo "note: not root, dpkg --root is skipped (CI runs it as root)"
else
    droot="$tmp/dpkg-root"
    admindir="$droot/var/lib/dpkg"
    mkdir -p "$admindir/info" "$admindir/updates" "$admindir/triggers" "$droot/var/log"
    touch "$admindir/available"
    # This machine's installed packages (not ours) stand in for the scratch root's, so that dpkg
    # checks Depends for real: a misspelt or missing dependency fails the install.
    awk -v RS= -v ORS='\n\n' '!/^Package: flippdeal-/' /var/lib/dpkg/status >"$admindir/status"
    # Stubs for what the maintainer scripts would do to this machine. They log their arguments
    # and keep a little state, so a second install sees the user created by the first.
    stubs="$tmp/stubs"
    mkdir -p "$stubs/state"
    for cmd in getent addgroup adduser dpkg-statoverride deb-systemd-helper deb-systemd-invoke systemctl; do
        cat >"$stubs/$cmd" <<EOF
#!/bin/sh
state="$stubs/state"
echo "$cmd \$*" >>"\$state/calls.log"
echo "DPKG_ROOT=\${DPKG_ROOT:-}" >>"\$state/env.log"
case "$cmd \$1" in
    "getent group"|"getent passwd") [ -e "\$state/\$1-\$2" ] || exit 2 ;;
    "addgroup --system") touch "\$state/group-\$(echo "\$*" | awk '{print \$NF}')" ;;
    "adduser --system") touch "\$state/passwd-\$(echo "\$*" | awk '{print \$NF}')" ;;
    "dpkg-statoverride --list") [ -e "\$state/statoverride" ] || exit 1 ;;
    "dpkg-statoverride --update") touch "\$state/statoverride" ;;
    "dpkg-statoverride --remove") rm -f "\$state/statoverride" ;;
esac
exit 0
EOF
        chmod +x "$stubs/$cmd"
    done
    calls="$stubs/state/calls.log"
    dpkg_root() {
        PATH="$stubs:$PATH:/usr/sbin:/sbin" timeout 300 dpkg --root="$droot" --force-script-chrootless \
            --log="$droot/var/log/dpkg.log" --force-confold "$@" </dev/null
    }
    debs=()
    for p in "${packages[@]}"; do debs+=("${deb[$p]}"); done
    if out=$(dpkg_root -i "${debs[@]}" 2>&1); then
        ok "dpkg -i ${packages[*]}: Depends satisfied by this machine's packages"
    else
        fail "dpkg --root -i: $out"
    fi
    status=$(dpkg-query --admindir="$admindir" -W -f='${Package} ${Status}\n' 2>/dev/null | grep '^flippdeal-')
    for p in "${packages[@]}"; do
        grep -qx "$p install ok installed" <<<"$status" || fail "dpkg: $p is not 'install ok installed'"
    done
    dpkg-query --admindir="$admindir" -W -f='${Conffiles}\n' flippdeal-server | grep -q '^ /etc/flippdeal/server.ini [0-9a-f]\{32\}' ||
        fail "dpkg: /etc/flippdeal/server.ini is not registered as a conffile"
    for f in usr/bin/flippdeal-server lib/systemd/system/flippdeal-server.service etc/flippdeal/server.ini \
             usr/bin/flippdeal-desktop usr/share/applications/flippdeal-desktop.desktop; do
        [[ -f $droot/$f ]] || fail "dpkg: /$f not installed"
    done
    for call in "addgroup --system --quiet flippdeal" \
                "adduser --system --quiet --ingroup flippdeal --home /var/lib/flippdeal --no-create-home" \
                "dpkg-statoverride --update --add root flippdeal 0640 /etc/flippdeal/server.ini" \
                "deb-systemd-helper enable flippdeal-server.service"; do
        grep -qF "$call" "$calls" || fail "postinst configure: no '$call' (calls: $(tr '\n' ';' <"$calls"))"
    done
    grep -qvx "DPKG_ROOT=$droot" "$stubs/state/env.log" && fail "maintainer scripts ran without DPKG_ROOT=$droot"
    summary "install: user and group created, config 0640 root:flippdeal, unit enabled, not started (no booted systemd)"

    # Upgrade path: the same version again. The user exists now; a local edit of the config stays.
    echo "; local edit" >>"$droot/etc/flippdeal/server.ini"
    mkdir -p "$droot/var/lib/flippdeal" && echo data >"$droot/var/lib/flippdeal/flippdeal.sqlite"
    : >"$calls"
    out=$(dpkg_root -i "${deb[flippdeal-server]}" 2>&1) || fail "dpkg --root reinstall: $out"
    grep -qE '^(adduser|addgroup) ' "$calls" && fail "reinstall: postinst created the user again"
    grep -q '; local edit' "$droot/etc/flippdeal/server.ini" || fail "reinstall: the edited conffile was replaced"
    summary "reinstall: user kept, edited config kept"

    out=$(dpkg_root --remove flippdeal-server 2>&1) || fail "dpkg --root --remove: $out"
    [[ -e $droot/usr/bin/flippdeal-server ]] && fail "remove: /usr/bin/flippdeal-server still there"
    [[ -f $droot/etc/flippdeal/server.ini ]] || fail "remove: the config is gone (only purge may delete it)"
    [[ -f $droot/var/lib/flippdeal/flippdeal.sqlite ]] || fail "remove: the state directory is gone (only purge may delete it)"
    grep -qF "deb-systemd-helper mask flippdeal-server.service" "$calls" || fail "postrm remove: unit not masked"
    summary "remove: binary gone, config and data kept"

    out=$(dpkg_root --purge flippdeal-server 2>&1) || fail "dpkg --root --purge: $out"
    [[ -e $droot/etc/flippdeal ]] && fail "purge: /etc/flippdeal is still there"
    [[ -e $droot/var/lib/flippdeal ]] && fail "purge: /var/lib/flippdeal is still there"
    for call in "deb-systemd-helper purge flippdeal-server.service" "dpkg-statoverride --remove /etc/flippdeal/server.ini"; do
        grep -qF "$call" "$calls" || fail "postrm purge: no '$call'"
    done
    left=$(dpkg-query --admindir="$admindir" -W -f='${Status}' flippdeal-server 2>/dev/null)
    [[ -z $left || $left == *not-installed ]] || fail "purge: flippdeal-server is still '$left'"
    summary "purge: config, state directory and stat override gone"
fi

echo
if ((failures)); then
    echo "packaging_deb: $failures problem(s)" >&2
    exit 1
fi
echo "packaging_deb: all checks passed (${packages[*]})"
