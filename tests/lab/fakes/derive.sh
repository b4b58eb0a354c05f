# derive.sh - defaults and derived values of a maclab host profile.
#
# POSIX sh. Sourced, after a host's host.env, both by the fake macOS
# commands inside the host (dash) and by `maclab expect` (bash), so the
# values the fakes print and the values the tests expect come from one
# place. Only `: "${VAR:=default}"` and arithmetic: no external command.

: "${KIND:=mac}"
: "${ARCH:=arm64}"
: "${HOST_NAME:=Mac.local}"
: "${COMPUTER_NAME:=Mac}"
: "${LOCAL_HOST_NAME:=${HOST_NAME%%.*}}"
: "${MODEL:=MacBookPro18,3}"
: "${MODEL_NAME:=MacBook Pro}"
: "${MODEL_NUMBER:=}"
: "${CHIP:=}"
: "${PROCESSOR_NAME:=}"
: "${PROCESSOR_SPEED:=}"
: "${PROCESSOR_COUNT:=1}"
: "${L2_CACHE:=256 KB}"
: "${L3_CACHE:=}"
: "${HYPER_THREADING:=Enabled}"
: "${CORES:=8}"
: "${NCPU:=8}"
: "${NCPU_PHYS:=$NCPU}"
: "${MEMORY_GB:=16}"
: "${SERIAL:=C02XXXXXXXXX}"
: "${HW_UUID:=00000000-0000-0000-0000-000000000000}"
: "${PROVISIONING_UDID:=}"
: "${FIRMWARE:=}"
: "${OS_LOADER:=}"
: "${BOOT_ROM:=}"
: "${SMC_VERSION:=}"
: "${ACTIVATION_LOCK:=}"
: "${OS_VERSION:=14.4.1}"
: "${OS_BUILD:=23E224}"
: "${OS_VERSION_EXTRA:=}"
: "${KERNEL_RELEASE:=23.4.0}"
: "${KERNEL_VERSION:=Darwin Kernel Version $KERNEL_RELEASE}"
: "${UPTIME_S:=86400}"
: "${BOOT_TIME:=1700000000}"
: "${BOOT_USEC:=0}"
: "${TIMEZONE:=UTC}"

# Disk: one APFS container; / (sealed system snapshot) and the Data volume
# share its size (1024-blocks column) and its free space (Available column).
: "${VOLUME_NAME:=Macintosh HD}"
: "${DISK_TOTAL_KB:=482797652}"
: "${DISK_FREE_KB:=200000000}"
: "${DISK_SYSTEM_USED_KB:=10902548}"
: "${DISK_PURGEABLE_BYTES:=0}"
: "${DISK_DATA_FILES:=1834212}"
: "${DISK_SYSTEM_FILES:=404475}"
# The other volumes of the container (VM, Preboot, Update), and the Data
# volume: whatever the container holds that is not free nor in the others.
if [ "${OS_VERSION%%.*}" -le 10 ]; then
	: "${DISK_VM_USED_KB:=2097152}" "${DISK_PREBOOT_USED_KB:=0}" "${DISK_UPDATE_USED_KB:=0}"
else
	: "${DISK_VM_USED_KB:=1048576}" "${DISK_PREBOOT_USED_KB:=5885392}" "${DISK_UPDATE_USED_KB:=3164}"
fi
: "${DISK_DATA_USED_KB:=$((DISK_TOTAL_KB - DISK_FREE_KB - DISK_SYSTEM_USED_KB - DISK_VM_USED_KB - DISK_PREBOOT_USED_KB - DISK_UPDATE_USED_KB))}"
if [ "$ARCH" = arm64 ]; then
	: "${DISK_ROOT_DEV:=/dev/disk3s1s1}"
	: "${DISK_DATA_DEV:=/dev/disk3s5}"
	: "${PAGESIZE:=16384}"
	: "${CPU_BRAND:=$CHIP}"
	: "${UNAME_P:=arm}"
else
	: "${DISK_ROOT_DEV:=/dev/disk1s5}"
	: "${DISK_DATA_DEV:=/dev/disk1s1}"
	: "${PAGESIZE:=4096}"
	: "${CPU_BRAND:=$PROCESSOR_NAME}"
	: "${UNAME_P:=i386}"
fi

# Battery (laptops). BATT_STATE: charged charging discharging finishing
# not_charging. BATT_REMAINING: H:MM, or "none" for pmset's "(no estimate)".
: "${BATTERY:=0}"
: "${POWER_SOURCE:=AC Power}"
: "${BATT_PERCENT:=100}"
: "${BATT_STATE:=charged}"
: "${BATT_REMAINING:=0:00}"
: "${BATT_ID:=4653155}"
: "${BATT_CYCLES:=100}"
: "${BATT_DESIGN_MAH:=5000}"
: "${BATT_HEALTH:=100}"
: "${BATT_CONDITION:=Normal}"
: "${BATT_SERIAL:=F8Y0000000000000A}"
: "${BATT_DEVICE_NAME:=bq40z651}"
: "${BATT_MANUFACTURER:=}"
: "${BATT_WARNING:=}"
: "${ADAPTER_WATTS:=67}"
# A UPS (desktops): pmset lists it as a power source of its own.
: "${UPS:=0}"
: "${UPS_NAME:=Back-UPS ES 700G}"
: "${UPS_ID:=1234567}"
: "${UPS_PERCENT:=100}"
: "${UPS_STATE:=charging}"
: "${UPS_REMAINING:=0:00}"

# Who sits at the screen: empty = nobody (loginwindow, /dev/console is root's).
: "${CONSOLE_USER:=}"
: "${CONSOLE_UID:=501}"

# Derived values.
OS_MAJOR=${OS_VERSION%%.*}
if [ "$OS_MAJOR" -le 10 ]; then OS_NAME="Mac OS X"; else OS_NAME=macOS; fi
MEMORY_BYTES=$((MEMORY_GB * 1073741824))
BATT_RAW_MAX=$((BATT_DESIGN_MAH * BATT_HEALTH / 100))
BATT_RAW_CUR=$((BATT_RAW_MAX * BATT_PERCENT / 100))
DISK_TOTAL_BYTES=$((DISK_TOTAL_KB * 1024))
DISK_FREE_BYTES=$((DISK_FREE_KB * 1024))
DISK_AVAILABLE_BYTES=$((DISK_FREE_BYTES + DISK_PURGEABLE_BYTES))
# On AC: charger or UPS. pmset says 'Battery Power' only when the Mac's own
# battery feeds it.
if [ "$POWER_SOURCE" = "Battery Power" ]; then AC_POWER=false; else AC_POWER=true; fi

# Posture (the probe's posture sections). FILEVAULT: on off encrypting
# decrypting deferred (FV_PERCENT while encrypting or decrypting). SIP:
# enabled disabled custom. SSV: enabled disabled prompt (two macOS
# installations: csrutil asks which) none (a csrutil without
# authenticated-root, before macOS 11). GATEKEEPER: enabled disabled.
# FIREWALL: off on block_all; FIREWALL_WORDING new or old ("Firewall is
# enabled. (State = 2)" for block_all before macOS 15).
: "${FILEVAULT:=on}"
: "${FV_PERCENT:=}"
: "${SIP:=enabled}"
if [ "${OS_VERSION%%.*}" -ge 11 ]; then : "${SSV:=enabled}"; else : "${SSV:=none}"; fi
: "${GATEKEEPER:=enabled}"
: "${FIREWALL:=off}"
if [ "${OS_VERSION%%.*}" -ge 15 ]; then : "${FIREWALL_WORDING:=new}"; else : "${FIREWALL_WORDING:=old}"; fi
# Updates macOS knows about: UPDATES_PENDING items, the first
# UPDATES_RESTART of them needing a restart; the listing in the format of
# that macOS (old before 10.15). SU_CHECKED_AGO_S: the last check, seconds
# before the host came up.
: "${UPDATES_PENDING:=0}"
: "${UPDATES_RESTART:=0}"
: "${SU_CHECKED_AGO_S:=20000}"
SU_CHECKED=$((BOOT_TIME + UPTIME_S - SU_CHECKED_AGO_S))
: "${XPROTECT_VERSION:=5287}"
# Time Machine. TM: ok never not_configured no_access unmounted; the
# latest backup TM_AGE_S seconds before the host came up.
: "${TM:=ok}"
: "${TM_AGE_S:=7200}"
TM_LAST=$((BOOT_TIME + UPTIME_S - TM_AGE_S))
: "${SMART:=Verified}"
# kern.memorystatus_vm_pressure_level: 1 normal, 2 warn, 4 critical.
: "${PRESSURE_LEVEL:=1}"
# MDM: MDM_ENROLLED, DEP_ENROLLED (0/1); PROFILES_ROOT=1: the profiles
# command refuses a user that is not root (nothing known then).
: "${MDM_ENROLLED:=0}"
: "${DEP_ENROLLED:=0}"
: "${PROFILES_ROOT:=0}"

# Network ports (networksetup -listallhardwareports). The Wi-Fi's own
# address: the address the lab gave the host when it is an Apple one, else
# (a private Wi-Fi address) HW_WIFI_MAC. Desktops (BATTERY=0) have
# built-in Ethernet first. PORTS_USB=1 adds a USB Ethernet adapter, which
# is not the Mac's own. HW_MACS: the addresses the record should list.
case ${MAC_STYLE:-apple} in
apple) : "${HW_WIFI_MAC:=${MAC_ADDRESS:-f0:18:98:40:00:01}}" ;;
*) : "${HW_WIFI_MAC:=f0:18:98:5${MAC_ADDRESS#??:??:??:?}}" ;;
esac
_m=${HW_WIFI_MAC%:??}
HW_BT_MAC=$_m:fe
_r=${HW_WIFI_MAC#??:}
_r=${_r%:??}
HW_TB1_MAC=82:$_r:01
HW_TB2_MAC=82:$_r:00
HW_ETH_MAC=$_m:e0
: "${PORTS_USB:=0}"
if [ "$BATTERY" = 1 ]; then
	HW_MACS="$HW_WIFI_MAC $HW_BT_MAC $HW_TB1_MAC $HW_TB2_MAC"
else
	HW_MACS="$HW_ETH_MAC $HW_WIFI_MAC $HW_BT_MAC $HW_TB1_MAC $HW_TB2_MAC"
fi
