import { UserError } from "../../lib/errors.js";
import { targetName, type CompiledGraph } from "../compile/graph.js";
import { executableActions, executableDependencies, type ExecutableAction } from "./actions.js";

/** The selection flags of `dataform run`, plus pulse's `tagsAll` (intersection) and globs in `actions`. */
export interface Selection {
  tags?: string[];
  /** Every one of these tags must be present (pulse extension; `--tags` is a union, as in Dataform). */
  tagsAll?: string[];
  actions?: string[];
  includeDependencies?: boolean;
  includeDependents?: boolean;
}

const GLOB = /[*?]/;

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

/**
 * Resolves `--actions` patterns the way Dataform does (a dotted name must match in full, a bare name
 * matches the last part and must be unambiguous), plus globs, which match the full name, `schema.name`
 * or `name`. Unlike Dataform, a pattern that matches nothing is an error: a typo must not silently run
 * nothing.
 */
export function matchActionPatterns(patterns: string[], names: string[]): string[] {
  const matched: string[] = [];
  for (const pattern of patterns) {
    let found: string[];
    if (GLOB.test(pattern)) {
      const regex = globToRegExp(pattern);
      found = names.filter((name) => {
        const parts = name.split(".");
        return regex.test(name) || regex.test(parts.slice(-2).join(".")) || regex.test(parts[parts.length - 1] ?? "");
      });
    } else if (pattern.includes(".")) {
      found = names.filter((name) => name === pattern || name.split(".").slice(-2).join(".") === pattern);
    } else {
      found = names.filter((name) => name.split(".").pop() === pattern);
      if (found.length > 1) {
        throw new UserError(`--actions: '${pattern}' is ambiguous; it matches ${found.join(", ")}. Use the full name.`);
      }
    }
    if (found.length === 0) {
      throw new UserError(`--actions: no action matches '${pattern}'. Known actions: ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", …" : ""}`);
    }
    matched.push(...found);
  }
  return matched;
}

/** The set of action names a run executes, following `dataform run` selection semantics. */
export function selectActions(graph: CompiledGraph, selection: Selection): Set<string> {
  const all = executableActions(graph);
  const names = [...all.keys()];
  const hasActions = (selection.actions?.length ?? 0) > 0;
  const hasTags = (selection.tags?.length ?? 0) > 0 || (selection.tagsAll?.length ?? 0) > 0;
  if (!hasActions && !hasTags) return new Set(names);

  const knownTags = new Set([...all.values()].flatMap((a) => a.action.tags ?? []));
  for (const tag of [...(selection.tags ?? []), ...(selection.tagsAll ?? [])]) {
    if (!knownTags.has(tag)) throw new UserError(`--tags: no action has tag '${tag}'. Known tags: ${[...knownTags].sort().join(", ") || "(none)"}`);
  }

  const included = new Set<string>();
  if (hasActions) for (const name of matchActionPatterns(selection.actions ?? [], names)) included.add(name);
  if (hasTags) {
    for (const [name, entry] of all) {
      const tags = entry.action.tags ?? [];
      const any = (selection.tags?.length ?? 0) === 0 || selection.tags!.some((tag) => tags.includes(tag));
      const every = (selection.tagsAll ?? []).every((tag) => tags.includes(tag));
      if (any && every) included.add(name);
    }
  }
  addBuiltInAssertions(included, all);
  if (selection.includeDependencies) closeOver(included, (name) => executableDependencies(all.get(name)!, all));
  if (selection.includeDependents) {
    const dependents = dependentsIndex(all);
    closeOver(included, (name) => dependents.get(name) ?? []);
  }
  // Dependencies or dependents pulled in above bring their own built-in assertions too.
  addBuiltInAssertions(included, all);
  return included;
}

/** A table's `assertions: {…}` checks are part of the table: selecting the table selects them. */
function addBuiltInAssertions(included: Set<string>, all: Map<string, ExecutableAction>): void {
  for (const [name, entry] of all) {
    if (entry.kind === "assertion" && entry.action.parentAction && included.has(targetName(entry.action.parentAction))) included.add(name);
  }
}

function closeOver(included: Set<string>, next: (name: string) => string[]): void {
  const queue = [...included];
  while (queue.length > 0) {
    const name = queue.pop()!;
    for (const other of next(name)) {
      if (!included.has(other)) {
        included.add(other);
        queue.push(other);
      }
    }
  }
}

function dependentsIndex(all: Map<string, ExecutableAction>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const [name, entry] of all) {
    for (const dependency of executableDependencies(entry, all)) {
      const list = index.get(dependency) ?? [];
      list.push(name);
      index.set(dependency, list);
    }
  }
  return index;
}
