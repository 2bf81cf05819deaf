import { Text, TextInput, Title, UnstyledButton } from '@mantine/core';
import { memo, useState, type DragEvent } from 'react';
import { NODE_CATALOG } from '../../../engine/flows/node-catalog.ts';
import type { NodeCategory } from '../../../engine/flows/node-definition.ts';

/** The drag payload's type: only drops from this palette add nodes. */
export const PALETTE_MIME = 'application/x-onemessage-node';

const CATEGORY_TITLES: Record<NodeCategory, string> = { trigger: 'Triggers', logic: 'Logic', action: 'Actions' };
const CATEGORIES: readonly NodeCategory[] = ['trigger', 'logic', 'action'];

/**
 * The node kinds of the engine's catalog by category, with a search box. Drag one onto the
 * canvas, or press Enter on it to add it in the middle of the view (the keyboard way). Memoised:
 * the editor re-renders while a large flow loads and is measured, the palette does not change.
 */
export const Palette = memo(function Palette({ onAdd }: { onAdd: (type: string) => void }) {
  const [query, setQuery] = useState('');
  const q = query.trim().toLowerCase();
  const matches = NODE_CATALOG.filter(
    (d) => !q || d.label.toLowerCase().includes(q) || d.description.toLowerCase().includes(q) || d.type.includes(q),
  );

  function onDragStart(event: DragEvent<HTMLButtonElement>, type: string) {
    event.dataTransfer.setData(PALETTE_MIME, type);
    event.dataTransfer.effectAllowed = 'move';
  }

  return (
    <nav className="palette" aria-label="Node palette">
      <TextInput
        type="search"
        label="Search nodes"
        size="xs"
        value={query}
        onChange={(e) => setQuery(e.currentTarget.value)}
        placeholder="send, delay, tag…"
      />
      {CATEGORIES.map((category) => {
        const items = matches.filter((d) => d.category === category);
        if (items.length === 0) return null;
        return (
          <section key={category} aria-label={CATEGORY_TITLES[category]}>
            <Title order={3} size="h6" mt="sm" mb={6}>
              {CATEGORY_TITLES[category]}
            </Title>
            <ul>
              {items.map((d) => (
                <li key={d.type}>
                  <UnstyledButton
                    className={`palette-item category-${category}`}
                    draggable
                    data-node-type={d.type}
                    onDragStart={(e) => onDragStart(e, d.type)}
                    onClick={() => onAdd(d.type)}
                    title={d.description}
                    aria-description={`${d.description} Drag onto the canvas, or press Enter to add it.`}
                  >
                    {d.label}
                  </UnstyledButton>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
      {matches.length === 0 && (
        <Text size="sm" c="dimmed" mt="sm">
          No node matches “{query}”.
        </Text>
      )}
    </nav>
  );
});
