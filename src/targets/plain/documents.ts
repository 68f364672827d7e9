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

export const LABEL_TYPES = `query labelTypes($first: Int, $after: String) {
  labelTypes(first: $first, after: $after, filters: { isArchived: false }) {
    edges { node { id name isArchived } }
    pageInfo { hasNextPage endCursor }
  }
}`;

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
};
