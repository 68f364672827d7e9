/**
 * Every GraphQL document plain-migrate can send to Plain, in one module. A test validates each of
 * them against schemas/plain.graphql (Plain's published schema).
 */

const MUTATION_ERROR = `fragment MutationErrorParts on MutationError { message type code fields { field message type } }`;

export const UPSERT_CUSTOMER = `mutation upsertCustomer($input: UpsertCustomerInput!) {
  upsertCustomer(input: $input) {
    result
    customer { id externalId fullName email { email } }
    error { ...MutationErrorParts }
  }
}
${MUTATION_ERROR}`;

export const IMPORT_THREAD = `mutation importThread($input: ImportThreadInput!) {
  importThread(input: $input) {
    result
    thread { id externalId }
    error { ...MutationErrorParts }
  }
}
${MUTATION_ERROR}`;

export const IMPORT_THREAD_MESSAGES = `mutation importThreadMessages($input: ImportThreadMessagesInput!) {
  importThreadMessages(input: $input) {
    results {
      result
      threadMessage { __typename ... on TimelineEntry { id } ... on Note { id } }
      error { ...MutationErrorParts }
    }
    error { ...MutationErrorParts }
  }
}
${MUTATION_ERROR}`;

export const CUSTOMER_BY_EMAIL = `query customerByEmail($email: String!) {
  customerByEmail(email: $email) { id externalId fullName email { email } }
}`;

export const CUSTOMER_BY_EXTERNAL_ID = `query customerByExternalId($externalId: ID!) {
  customerByExternalId(externalId: $externalId) { id externalId fullName email { email } }
}`;

export const THREAD_BY_EXTERNAL_ID = `query threadByExternalId($customerId: ID!, $externalId: ID!) {
  threadByExternalId(customerId: $customerId, externalId: $externalId) { id externalId }
}`;

export const USER_BY_EMAIL = `query userByEmail($email: String!) {
  userByEmail(email: $email) { id email fullName isDeleted }
}`;

/** Every label type, archived ones included (no filter), one page of `$first` after `$after`. */
export const LABEL_TYPES = `query labelTypes($first: Int, $after: String) {
  labelTypes(first: $first, after: $after) {
    edges { node { id name isArchived } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const THREAD_FIELD_SCHEMAS = `query threadFieldSchemas($first: Int, $after: String) {
  threadFieldSchemas(first: $first, after: $after) {
    edges { node { id key label type enumValues } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const CREATE_LABEL_TYPE = `mutation createLabelType($input: CreateLabelTypeInput!) {
  createLabelType(input: $input) {
    labelType { id name isArchived }
    error { ...MutationErrorParts }
  }
}
${MUTATION_ERROR}`;

export const UPSERT_TENANT = `mutation upsertTenant($input: UpsertTenantInput!) {
  upsertTenant(input: $input) {
    result
    tenant { id externalId name }
    error { ...MutationErrorParts }
  }
}
${MUTATION_ERROR}`;

export const ADD_CUSTOMER_TO_TENANTS = `mutation addCustomerToTenants($input: AddCustomerToTenantsInput!) {
  addCustomerToTenants(input: $input) {
    customer { id }
    error { ...MutationErrorParts }
  }
}
${MUTATION_ERROR}`;

export const UPSERT_THREAD_FIELD = `mutation upsertThreadField($input: UpsertThreadFieldInput!) {
  upsertThreadField(input: $input) {
    result
    threadField { id }
    error { ...MutationErrorParts }
  }
}
${MUTATION_ERROR}`;

export const CREATE_ATTACHMENT_UPLOAD_URL = `mutation createAttachmentUploadUrl($input: CreateAttachmentUploadUrlInput!) {
  createAttachmentUploadUrl(input: $input) {
    attachmentUploadUrl {
      attachment { id }
      uploadFormUrl
      uploadFormData { key value }
      expiresAt { iso8601 }
    }
    error { ...MutationErrorParts }
  }
}
${MUTATION_ERROR}`;


const THREAD_OUTPUT = `thread { id }
    error { ...MutationErrorParts }`;

export const UPDATE_THREAD_TITLE = `mutation updateThreadTitle($input: UpdateThreadTitleInput!) {
  updateThreadTitle(input: $input) {
    ${THREAD_OUTPUT}
  }
}
${MUTATION_ERROR}`;

export const CHANGE_THREAD_PRIORITY = `mutation changeThreadPriority($input: ChangeThreadPriorityInput!) {
  changeThreadPriority(input: $input) {
    ${THREAD_OUTPUT}
  }
}
${MUTATION_ERROR}`;

export const MARK_THREAD_AS_DONE = `mutation markThreadAsDone($input: MarkThreadAsDoneInput!) {
  markThreadAsDone(input: $input) {
    ${THREAD_OUTPUT}
  }
}
${MUTATION_ERROR}`;

export const MARK_THREAD_AS_TODO = `mutation markThreadAsTodo($input: MarkThreadAsTodoInput!) {
  markThreadAsTodo(input: $input) {
    ${THREAD_OUTPUT}
  }
}
${MUTATION_ERROR}`;

export const SNOOZE_THREAD = `mutation snoozeThread($input: SnoozeThreadInput!) {
  snoozeThread(input: $input) {
    ${THREAD_OUTPUT}
  }
}
${MUTATION_ERROR}`;

export const ADD_LABELS = `mutation addLabels($input: AddLabelsInput!) {
  addLabels(input: $input) {
    labels { id }
    ${THREAD_OUTPUT}
  }
}
${MUTATION_ERROR}`;

export const REMOVE_LABELS = `mutation removeLabels($input: RemoveLabelsInput!) {
  removeLabels(input: $input) {
    ${THREAD_OUTPUT}
  }
}
${MUTATION_ERROR}`;

export const ASSIGN_THREAD = `mutation assignThread($input: AssignThreadInput!) {
  assignThread(input: $input) {
    ${THREAD_OUTPUT}
  }
}
${MUTATION_ERROR}`;

export const UNASSIGN_THREAD = `mutation unassignThread($input: UnassignThreadInput!) {
  unassignThread(input: $input) {
    ${THREAD_OUTPUT}
  }
}
${MUTATION_ERROR}`;

/** What a refresh reads of each thread. */
export const THREAD_FIELDS = `id
    title
    priority
    status
    statusDetail { __typename }
    assignedTo { __typename ... on User { id } ... on MachineUser { id } }
    labels { id labelType { id } }
    threadFields { key type stringValue booleanValue numberValue dateValue { iso8601 } }`;

/**
 * Reads up to `n` threads in one request, one aliased `thread(threadId:)` field each:
 * `query readThreads($t0: ID!, …) { t0: thread(threadId: $t0) { … } … }`.
 */
export function readThreadsDocument(n: number): string {
  const vars = Array.from({ length: n }, (_, i) => `$t${i}: ID!`).join(', ');
  const fields = Array.from({ length: n }, (_, i) => `  t${i}: thread(threadId: $t${i}) {\n    ${THREAD_FIELDS}\n  }`).join('\n');
  return `query readThreads(${vars}) {\n${fields}\n}`;
}

/** The most threads one read request carries (Plain's page size ceiling, as a courtesy). */
export const MAX_THREADS_PER_READ = 50;

/** All documents, by operation name, for the schema test and for request accounting. */
export const DOCUMENTS: Readonly<Record<string, string>> = {
  upsertCustomer: UPSERT_CUSTOMER,
  importThread: IMPORT_THREAD,
  importThreadMessages: IMPORT_THREAD_MESSAGES,
  customerByEmail: CUSTOMER_BY_EMAIL,
  customerByExternalId: CUSTOMER_BY_EXTERNAL_ID,
  threadByExternalId: THREAD_BY_EXTERNAL_ID,
  userByEmail: USER_BY_EMAIL,
  labelTypes: LABEL_TYPES,
  threadFieldSchemas: THREAD_FIELD_SCHEMAS,
  createLabelType: CREATE_LABEL_TYPE,
  upsertTenant: UPSERT_TENANT,
  addCustomerToTenants: ADD_CUSTOMER_TO_TENANTS,
  upsertThreadField: UPSERT_THREAD_FIELD,
  createAttachmentUploadUrl: CREATE_ATTACHMENT_UPLOAD_URL,
  updateThreadTitle: UPDATE_THREAD_TITLE,
  changeThreadPriority: CHANGE_THREAD_PRIORITY,
  markThreadAsDone: MARK_THREAD_AS_DONE,
  markThreadAsTodo: MARK_THREAD_AS_TODO,
  snoozeThread: SNOOZE_THREAD,
  addLabels: ADD_LABELS,
  removeLabels: REMOVE_LABELS,
  assignThread: ASSIGN_THREAD,
  unassignThread: UNASSIGN_THREAD,
  readThreads1: readThreadsDocument(1),
  readThreadsMax: readThreadsDocument(MAX_THREADS_PER_READ),
};
