package sim

import "time"

// Typed is one entry of a typed list (phones, e-mails, URLs): the type is a code of the
// matching value list.
type Typed struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// ValueItem is one entry of a value list.
type ValueItem struct {
	Code         string `json:"code"`
	Label        string `json:"label"`
	Abbreviation string `json:"abbreviation,omitempty"`
}

// Establishment is one establishment (établissement) of the environment.
type Establishment struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// User is one Altior user (collaborateur).
type User struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Role      string `json:"role"` // staff_roles code
}

// EventType is one configured affaire event type; Rank gives their order.
type EventType struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Rank  int    `json:"rank"`
}

// CustomField is one custom field (champ personnalisé) of tiers or affaires.
type CustomField struct {
	Object string `json:"object"` // tiers | affaire
	Code   string `json:"code"`
	Label  string `json:"label"`
	Type   string `json:"type"` // text
}

// Tiers is a customer, prospect or supplier, moral or physical person.
type Tiers struct {
	ID              string            `json:"id"`
	Kind            string            `json:"kind"`     // moral | physical
	Relation        string            `json:"relation"` // client | prospect | supplier
	Name            string            `json:"name"`
	FirstName       string            `json:"first_name"`
	LastName        string            `json:"last_name"`
	SIRET           string            `json:"siret"`
	LegalForm       string            `json:"legal_form"` // legal_forms code (moral)
	Civility        string            `json:"civility"`   // civilities code (physical)
	Phones          []Typed           `json:"phones"`
	Emails          []Typed           `json:"emails"`
	URLs            []Typed           `json:"urls"`
	EstablishmentID string            `json:"establishment_id"`
	OwnerUserID     string            `json:"owner_user_id"`
	CustomFields    map[string]string `json:"custom_fields"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
	seq             int
}

// Contact is a contact person of a tiers.
type Contact struct {
	ID        string    `json:"id"`
	TiersID   string    `json:"tiers_id"`
	Civility  string    `json:"civility"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Role      string    `json:"role"` // contact_roles code
	Phones    []Typed   `json:"phones"`
	Emails    []Typed   `json:"emails"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	seq       int
}

// Event is one event of an affaire.
type Event struct {
	Code  string    `json:"code"`
	Label string    `json:"label"`
	At    time.Time `json:"at"`
}

// Affaire is a deal; its events are in the order they were added.
type Affaire struct {
	ID              string            `json:"id"`
	TiersID         string            `json:"tiers_id"`
	Title           string            `json:"title"`
	EstablishmentID string            `json:"establishment_id"`
	OwnerUserID     string            `json:"owner_user_id"` // the chargé d'affaire
	CustomFields    map[string]string `json:"custom_fields"`
	Events          []Event           `json:"events"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
	seq             int
}

// Value list names.
const (
	ListLegalForms   = "legal_forms"
	ListCivilities   = "civilities"
	ListPhoneTypes   = "phone_types"
	ListEmailTypes   = "email_types"
	ListURLTypes     = "url_types"
	ListStaffRoles   = "staff_roles"
	ListContactRoles = "contact_roles"
)

// Object names of Count and Dump.
const (
	ObjectTiers   = "tiers"
	ObjectContact = "contacts"
	ObjectAffaire = "affaires"
)

// seedLists holds the values of the setup guide (seed 003, "Paramétrage du tiers"). Legal
// forms SARL and SAS are added because the guide's list is cut after five entries.
func seedLists() map[string][]ValueItem {
	return map[string][]ValueItem{
		ListLegalForms: {
			{"AS", "Association", "AS"},
			{"CTC", "Collectivité territoriale commune", "CTC"},
			{"EI", "Entreprise individuelle", "EI"},
			{"AH", "Etablissement Hospitalier", "AH"},
			{"EPLE", "Etablissement public local d'enseignement", "EPLE"},
			{"SARL", "Société à responsabilité limitée", "SARL"},
			{"SAS", "Société par actions simplifiée", "SAS"},
		},
		ListCivilities: {{"MME", "Madame", "Mme"}, {"M", "Monsieur", "M."}},
		ListPhoneTypes: {
			{"FAX", "Fax", ""}, {"FIXE", "Fixe", ""}, {"PORTABLE", "Portable", ""},
			{"PRINCIPALE", "Principale", ""}, {"SECONDAIRE", "Secondaire", ""},
		},
		ListEmailTypes: {
			{"ACHATS", "Achats", ""}, {"COMMERCIAL", "Commercial", ""},
			{"COMPTABILITE", "Comptabilité", ""}, {"PRINCIPAL", "Principal", ""},
		},
		ListURLTypes: {{"EXTERNE", "Site externe", ""}, {"SECONDAIRE", "Site secondaire", ""}, {"WEB", "Site web", ""}},
		ListStaffRoles: {
			{"ADV", "ADV", ""}, {"ASSDIR", "Assistant de direction", ""}, {"CHAFF", "Chargé d'affaire", ""},
			{"COMMERCIAL", "Commercial", ""}, {"DIRECTEUR", "Directeur", ""},
		},
		ListContactRoles: {
			{"ADV", "ADV", ""}, {"ACHETEUR", "Acheteur", ""}, {"COMMERCIAL", "Commercial", ""}, {"COMPTABLE", "Comptable", ""},
		},
	}
}

func seedEstablishments() []Establishment {
	return []Establishment{{"E1", "Siège Lyon"}, {"E2", "Agence Nantes"}}
}

// RefUserEmail is the e-mail of the seeded reference user.
const RefUserEmail = "ref@example.com"

func seedUsers() []User {
	return []User{
		{"U1", "Régine", "Ferrand", RefUserEmail, "DIRECTEUR"},
		{"U2", "Marc", "Olivier", "marc.olivier@example.com", "COMMERCIAL"},
		{"U3", "Sophie", "Lambert", "sophie.lambert@example.com", "ADV"},
	}
}

func seedEventTypes() []EventType {
	return []EventType{
		{"QUALIF", "Qualification", 1}, {"PROPOSITION", "Proposition", 2}, {"NEGOCIATION", "Négociation", 3},
		{"GAGNEE", "Affaire gagnée", 4}, {"PERDUE", "Affaire perdue", 5},
	}
}

func seedCustomFields() []CustomField {
	return []CustomField{
		{"tiers", "SECT", "Secteur", "text"},
		{"affaire", "PIPE", "Pipeline", "text"},
		{"affaire", "ETAP", "Etape", "text"},
		// The id of the Sellsy opportunity an affaire was created from: affaires are paired
		// with opportunities on it, since opportunity names are not unique.
		{"affaire", "SLSY", "Opportunité Sellsy", "text"},
	}
}
