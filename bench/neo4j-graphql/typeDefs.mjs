// Type definitions for the ContactGraph graph (graph/model.md), as a team using the Neo4j
// GraphQL Library would write them. Only what the benchmark's two reads need is here, but
// every label, relationship type and property name is the real one, so the library's
// generated Cypher runs against the very same data as ContactGraph and the raw peer.
//
// Rules and how closely they are expressed:
// - R6 (sensitive involvements: shown only to staff of that service, or with an ACTIVE,
//   unexpired SHARE_CONTACT_DETAILS consent covering that service, granted to the viewer
//   or to the viewer's service) is the @authorization filter on Involvement. Its first two
//   cases are native filters; the consent case needs the grant to be about the same child
//   AND cover the same service as the involvement, a correlation the library's filter
//   language cannot express (there are no variables in `where`), so it is a @cypher field
//   read only by the filter. What is NOT expressed: R10 (whether whoever gave consent was
//   entitled to), R6c access overrides, and hiding a lead professional or CAF holder who
//   works for a sensitive service (ContactGraph applies R6 there too).
// - R4 (shielding), R5 is done by the query's `where` (the 365-day window), R2 purpose,
//   R14 audit: not expressed (the library has no place for them without custom resolvers).
export const typeDefs = /* GraphQL */ `
  type JWT @jwt {
    roles: [String!]
    practitioner_id: String
    local_authority: String
  }

  type LocalAuthority @node {
    code: ID!
    name: String!
    indexTeamPhone: String
    indexTeamEmail: String
    addressLine1: String
    addressLine2: String
    town: String
    postcode: String
  }

  type Service @node {
    id: ID!
    name: String!
    kind: String!
    sensitive: Boolean!
    localAuthority: String
    phone: String
    email: String
    addressLine1: String
    addressLine2: String
    town: String
    postcode: String
    staff: [Practitioner!]! @relationship(type: "WORKS_FOR", direction: IN)
  }

  type Practitioner @node {
    id: ID!
    name: String!
    jobTitle: String
    phone: String
    email: String
    addressLine1: String
    addressLine2: String
    town: String
    postcode: String
    service: Service @relationship(type: "WORKS_FOR", direction: OUT)
  }

  type CaresFor @relationshipProperties {
    relationship: String!
    parentalResponsibility: Boolean!
    livesWithChild: Boolean!
  }

  type Carer @node {
    id: ID!
    name: String!
    phone: String
    email: String
    addressLine1: String
    addressLine2: String
    town: String
    postcode: String
    children: [Child!]! @relationship(type: "CARES_FOR", direction: OUT, properties: "CaresFor")
  }

  type Child @node {
    id: ID!
    givenName: String!
    familyName: String!
    familyNameKey: String!
    dateOfBirth: Date!
    gender: String!
    shielded: Boolean!
    addressLine1: String
    addressLine2: String
    town: String
    postcode: String
    localAuthority: String
    archivedOn: Date
    carers: [Carer!]! @relationship(type: "CARES_FOR", direction: IN, properties: "CaresFor")
    involvements: [Involvement!]! @relationship(type: "OF", direction: IN)
    leadProfessional: Practitioner
      @relationship(type: "LEAD_PROFESSIONAL_FOR", direction: IN)
    commonAssessments: [Assessment!]! @relationship(type: "ABOUT", direction: IN)
    consents: [ConsentGrant!]! @relationship(type: "ABOUT", direction: IN)
    hasCommonAssessment: Boolean!
      @cypher(
        statement: "RETURN EXISTS { (this)<-[:ABOUT]-(:Assessment) } AS hasCaf"
        columnName: "hasCaf"
      )
    "The local authority's index team, for a shielded child only (R4)."
    shieldingContact: LocalAuthority
      @cypher(
        statement: "MATCH (la:LocalAuthority {code: this.localAuthority}) WHERE this.shielded RETURN la"
        columnName: "la"
      )
  }

  type Involvement @node
    @authorization(
      filter: [
        { where: { node: { service: { sensitive: { eq: false } } } } }
        { where: { node: { service: { staff: { some: { id: { eq: "$jwt.practitioner_id" } } } } } } }
        { where: { node: { sharedWithViewer: { eq: true } } } }
      ]
    ) {
    id: ID!
    startedOn: Date!
    endedOn: Date
    isLeadProfessional: Boolean!
    source: String!
    active: Boolean!
      @cypher(
        statement: "RETURN this.endedOn IS NULL OR this.endedOn > date() AS active"
        columnName: "active"
      )
    child: Child @relationship(type: "OF", direction: OUT)
    service: Service @relationship(type: "AT", direction: OUT)
    practitioner: Practitioner @relationship(type: "BY", direction: OUT)
    "R6b for the filter above: a consent path for this child and this service to the viewer."
    sharedWithViewer: Boolean
      @selectable(onRead: false, onAggregate: false)
      @cypher(
        statement: """
        MATCH (this)-[:OF]->(c:Child)
        MATCH (this)-[:AT]->(s:Service)
        RETURN EXISTS {
          MATCH (c)<-[:ABOUT]-(g:ConsentGrant)-[:COVERS]->(s)
          WHERE g.purpose = 'SHARE_CONTACT_DETAILS' AND g.state = 'ACTIVE'
            AND (g.expiresOn IS NULL OR g.expiresOn >= date())
            AND (EXISTS { (g)-[:GRANTED_TO]->(:Practitioner {id: $jwt.practitioner_id}) }
              OR EXISTS { (g)-[:GRANTED_TO]->(:Service)<-[:WORKS_FOR]-(:Practitioner {id: $jwt.practitioner_id}) })
        } AS shared
        """
        columnName: "shared"
      )
  }

  type Assessment @node {
    id: ID!
    status: String!
    startedOn: Date!
    closedOn: Date
    nextReviewOn: Date
    child: Child @relationship(type: "ABOUT", direction: OUT)
    holder: Practitioner @relationship(type: "HOLDS", direction: IN)
  }

  type ConsentGrant @node {
    id: ID!
    purpose: String!
    state: String!
    expiresOn: Date
    child: Child @relationship(type: "ABOUT", direction: OUT)
    coversServices: [Service!]! @relationship(type: "COVERS", direction: OUT)
    grantedToPractitioners: [Practitioner!]! @relationship(type: "GRANTED_TO", direction: OUT)
    grantedToServices: [Service!]! @relationship(type: "GRANTED_TO", direction: OUT)
  }
`;
