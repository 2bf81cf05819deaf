import { Alert, Button, Group, Modal, Select, SimpleGrid, Stack, TagsInput, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useCreateContact } from '../api/queries/contact-list.queries.ts';
import { messageOf } from '../error-message.ts';
import { COUNTRY_OPTIONS } from './countries.ts';

/** Adds one contact by hand: phone (local numbers read in a chosen country), name, tags; then opens it. */
export function NewContactModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const navigate = useNavigate();
  const [phone, setPhone] = useState('');
  const [country, setCountry] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  const create = useCreateContact((c) => {
    onClose();
    void navigate(`/contacts/${c.id}`);
  });
  return (
    <Modal opened={opened} onClose={onClose} title="New contact">
      <Stack gap="sm">
        <SimpleGrid cols={2}>
          <TextInput
            label="Phone"
            placeholder="+15551234567"
            value={phone}
            onChange={(e) => setPhone(e.currentTarget.value)}
            required
            data-autofocus
          />
          <Select label="Country (for a local number)" data={COUNTRY_OPTIONS} value={country} onChange={setCountry} searchable clearable />
        </SimpleGrid>
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <TagsInput label="Tags" placeholder="Type a tag, press Enter" value={tags} onChange={setTags} />
        {create.error && <Alert color="red">{messageOf(create.error)}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            disabled={!phone.trim()}
            loading={create.isPending}
            onClick={() => create.mutate({ phone, defaultCountry: country ?? undefined, name: name.trim() || undefined, tags })}
          >
            Add contact
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
