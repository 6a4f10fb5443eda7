/**
 * systemd integration of a `Type=notify` unit (sd_notify(3)): READY/STATUS/STOPPING/WATCHDOG
 * through libsystemd via bun:ffi, with the `systemd-notify` CLI as fallback.
 * @module
 */
export {
  type StatusFigures,
  SystemdNotifier,
  type SystemdNotifierOptions,
  statusLine,
} from "./notifier.ts";
export { SdNotify, type SdNotifyOptions, type SdNotifyTransport, sdNotify } from "./sd-notify.ts";
export { Watchdog, watchdogIntervalMs } from "./watchdog.ts";
