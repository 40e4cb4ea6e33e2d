"""GraphQL documents the tests share: the full index view, as a front end would ask it."""

CONTACT = "contact { phone email address { line1 line2 town postcode } }"
PRACTITIONER = (
    f"id name jobTitle {CONTACT} service {{ id name kind sensitive localAuthority {CONTACT} }}"
)

CHILD_FIELDS = f"""
  id givenName familyName dateOfBirth gender shielded
  address {{ line1 line2 town postcode }}
  shieldingContact {{ phone email address {{ line1 postcode }} }}
  carers {{ id name relationship parentalResponsibility livesWithChild {CONTACT} }}
  involvements {{
    id startedOn endedOn active isLeadProfessional source practitionerAvailability contactNote
    {CONTACT}
    service {{ id name kind sensitive localAuthority {CONTACT} }}
    practitioner {{ {PRACTITIONER} }}
  }}
  leadProfessional {{ {PRACTITIONER} }}
  hasCommonAssessment
  commonAssessments {{ id status startedOn holder {{ {PRACTITIONER} }} }}
"""

CHILD_PROFILE = f"query Profile($id: ID!) {{ child(id: $id) {{ {CHILD_FIELDS} }} }}"

SEARCH = f"""
query Search($input: ChildSearchInput!) {{
  searchChildren(input: $input) {{ truncated matches {{ {CHILD_FIELDS} }} }}
}}
"""
