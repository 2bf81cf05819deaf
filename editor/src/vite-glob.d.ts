// Vite's import.meta.glob, typed by hand: the editor's tsconfig has no `vite/client` types.
interface ImportMeta {
  glob<T = unknown>(pattern: string, options?: { import?: string }): Record<string, () => Promise<T>>;
}
