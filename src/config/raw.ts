/**
 * Reading the raw `slipway:` config defensively, for the cross-field checks that run even when
 * the schema found other problems: one set of helpers for every check module.
 */
import { Secret } from "./secret";

export type RawMap = Record<string, unknown>;

/** The value as a map, or undefined (lists, secrets and scalars are no maps). */
export function asMap(value: unknown): RawMap | undefined {
  return typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Secret)
    ? (value as RawMap)
    : undefined;
}

export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Whether the map sets `field` (neither absent nor null). */
export function has(map: RawMap | undefined, field: string): boolean {
  return map !== undefined && map[field] !== undefined && map[field] !== null;
}

/** An issue found by a cross-field check, before the path is formatted. */
export interface RawIssue {
  readonly key: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** How a cross-field check reports one problem: the `slipway:` key, the path below it, the message. */
export type Add = (key: string, where: readonly PropertyKey[], message: string) => void;
