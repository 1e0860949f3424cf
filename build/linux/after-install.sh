#!/bin/sh
# .deb postinst: apply the udev rules the package just installed to tokens
# already plugged in. Never fails the install (containers have no udev).
if command -v udevadm >/dev/null 2>&1; then
  udevadm control --reload-rules >/dev/null 2>&1 || true
  udevadm trigger --subsystem-match=usb --subsystem-match=hidraw >/dev/null 2>&1 || true
fi
exit 0
