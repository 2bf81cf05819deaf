import { Migration20261125000000_foundation } from './Migration20261125000000_foundation.ts';
import { Migration20261125100000_flows_and_runs } from './Migration20261125100000_flows_and_runs.ts';
import { Migration20261126000000_whatsapp_and_webhook } from './Migration20261126000000_whatsapp_and_webhook.ts';
import { Migration20261126010000_engine_hot_path_indexes } from './Migration20261126010000_engine_hot_path_indexes.ts';
import { Migration20261126020000_outbox_conversation_order_index } from './Migration20261126020000_outbox_conversation_order_index.ts';
import { Migration20261126030000_broadcasts } from './Migration20261126030000_broadcasts.ts';
import { Migration20261206000000_invitations } from './Migration20261206000000_invitations.ts';
import { Migration20261206010000_sessions } from './Migration20261206010000_sessions.ts';
import { Migration20261206020000_secrets } from './Migration20261206020000_secrets.ts';
import { Migration20261207010000_test_chat_and_priority } from './Migration20261207010000_test_chat_and_priority.ts';
import { Migration20261207020000_billing } from './Migration20261207020000_billing.ts';
import { Migration20261207040000_support_inbox } from './Migration20261207040000_support_inbox.ts';
import { Migration20261207030000_privacy } from './Migration20261207030000_privacy.ts';
import { Migration20261207050000_demo_history_handled } from './Migration20261207050000_demo_history_handled.ts';
import { Migration20261208020000_inbox_reads_and_event_keys } from './Migration20261208020000_inbox_reads_and_event_keys.ts';
import { Migration20261208030000_retention_reference_indexes } from './Migration20261208030000_retention_reference_indexes.ts';
import { Migration20261208040000_contacts_page_and_imports } from './Migration20261208040000_contacts_page_and_imports.ts';
import { Migration20261208050000_event_webhooks } from './Migration20261208050000_event_webhooks.ts';
import { Migration20261208060000_workspace_business_hours } from './Migration20261208060000_workspace_business_hours.ts';
import { Migration20261209010000_message_templates } from './Migration20261209010000_message_templates.ts';
import { Migration20261209020000_test_contacts_index } from './Migration20261209020000_test_contacts_index.ts';
import { Migration20261209030000_contact_search_text_without_executor } from './Migration20261209030000_contact_search_text_without_executor.ts';
import { Migration20261210010000_billing_usage_deltas } from './Migration20261210010000_billing_usage_deltas.ts';
import { Migration20261210020000_templates_in_broadcasts_and_replies } from './Migration20261210020000_templates_in_broadcasts_and_replies.ts';
import { Migration20261210050000_contact_import_lanes } from './Migration20261210050000_contact_import_lanes.ts';
import { Migration20261211010000_messages_receipts_hot } from './Migration20261211010000_messages_receipts_hot.ts';

/** Every migration, in order. Listed explicitly so that no file-system glob decides what runs. */
export const migrations = [
  { name: 'Migration20261125000000_foundation', class: Migration20261125000000_foundation },
  { name: 'Migration20261125100000_flows_and_runs', class: Migration20261125100000_flows_and_runs },
  { name: 'Migration20261126000000_whatsapp_and_webhook', class: Migration20261126000000_whatsapp_and_webhook },
  { name: 'Migration20261126010000_engine_hot_path_indexes', class: Migration20261126010000_engine_hot_path_indexes },
  { name: 'Migration20261126020000_outbox_conversation_order_index', class: Migration20261126020000_outbox_conversation_order_index },
  { name: 'Migration20261126030000_broadcasts', class: Migration20261126030000_broadcasts },
  { name: 'Migration20261206000000_invitations', class: Migration20261206000000_invitations },
  { name: 'Migration20261206010000_sessions', class: Migration20261206010000_sessions },
  { name: 'Migration20261206020000_secrets', class: Migration20261206020000_secrets },
  { name: 'Migration20261207010000_test_chat_and_priority', class: Migration20261207010000_test_chat_and_priority },
  { name: 'Migration20261207020000_billing', class: Migration20261207020000_billing },
  { name: 'Migration20261207040000_support_inbox', class: Migration20261207040000_support_inbox },
  { name: 'Migration20261207030000_privacy', class: Migration20261207030000_privacy },
  { name: 'Migration20261207050000_demo_history_handled', class: Migration20261207050000_demo_history_handled },
  { name: 'Migration20261208020000_inbox_reads_and_event_keys', class: Migration20261208020000_inbox_reads_and_event_keys },
  { name: 'Migration20261208030000_retention_reference_indexes', class: Migration20261208030000_retention_reference_indexes },
  { name: 'Migration20261208040000_contacts_page_and_imports', class: Migration20261208040000_contacts_page_and_imports },
  { name: 'Migration20261208050000_event_webhooks', class: Migration20261208050000_event_webhooks },
  { name: 'Migration20261208060000_workspace_business_hours', class: Migration20261208060000_workspace_business_hours },
  { name: 'Migration20261209010000_message_templates', class: Migration20261209010000_message_templates },
  { name: 'Migration20261209020000_test_contacts_index', class: Migration20261209020000_test_contacts_index },
  {
    name: 'Migration20261209030000_contact_search_text_without_executor',
    class: Migration20261209030000_contact_search_text_without_executor,
  },
  { name: 'Migration20261210010000_billing_usage_deltas', class: Migration20261210010000_billing_usage_deltas },
  {
    name: 'Migration20261210020000_templates_in_broadcasts_and_replies',
    class: Migration20261210020000_templates_in_broadcasts_and_replies,
  },
  { name: 'Migration20261210050000_contact_import_lanes', class: Migration20261210050000_contact_import_lanes },
  { name: 'Migration20261211010000_messages_receipts_hot', class: Migration20261211010000_messages_receipts_hot },
];
