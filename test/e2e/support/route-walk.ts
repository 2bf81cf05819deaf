/** The part of a React Router route object the walk reads (the editor's `routes` of editor/src/router.tsx). */
export interface RouteLike {
  path?: string;
  index?: boolean;
  element?: unknown;
  children?: RouteLike[];
}

/** A page to visit: its path pattern and the names of its parameters (`:flowId` → `flowId`). */
export interface WalkedPage {
  path: string;
  params: string[];
}

/** Where the catch-all route (`*`) is visited: a path no page has, to see the Not found page. */
const UNKNOWN_PATH = '/nothing-here';

/**
 * Every page of a route table, once each, in its order: nested paths joined, layout routes (no
 * path) walked through, redirects (a `<Navigate>` element) left out, and the catch-all visited at
 * a path no page has.
 */
export function pagesOfRoutes(routes: readonly RouteLike[], parent = ''): WalkedPage[] {
  const seen = new Set<string>();
  const pages: WalkedPage[] = [];
  const visit = (list: readonly RouteLike[], base: string) => {
    for (const route of list) {
      const path =
        route.path === undefined
          ? base
          : route.path === '*'
            ? UNKNOWN_PATH
            : route.path.startsWith('/')
              ? route.path
              : `${base.replace(/\/$/, '')}/${route.path}`;
      const shown = route.element !== undefined || route.index === true || (route.path !== undefined && !route.children);
      if (shown && path && !isRedirect(route.element) && !seen.has(path)) {
        seen.add(path);
        pages.push({ path, params: [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!) });
      }
      if (route.children) visit(route.children, path);
    }
  };
  visit(routes, parent);
  return pages;
}

function isRedirect(element: unknown): boolean {
  const type = (element as { type?: { name?: string } } | undefined)?.type;
  return typeof type === 'function' || typeof type === 'object' ? type?.name === 'Navigate' : false;
}
