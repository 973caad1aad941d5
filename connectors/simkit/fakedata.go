package simkit

import "fmt"

// The fake people and companies below are a pure function of their index, so that two
// simulators seeded with overlapping index ranges hold the same people (same e-mail), which is
// how the sandbox and the tests create records that exist on both sides.

var (
	firstNames = []string{"Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Arthur", "Inès", "Raphaël", "Zoé", "Adam", "Jade", "Gabriel", "Alice", "Noah"}
	lastNames  = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David"}
	cities     = []string{"Paris", "Lyon", "Nantes", "Lille", "Bordeaux", "Toulouse", "Rennes", "Strasbourg"}
	trades     = []string{"Conseil", "Bâtiment", "Logistique", "Imprimerie", "Menuiserie", "Informatique", "Transports", "Distribution"}
)

// Person is a deterministic fake contact.
type Person struct {
	FirstName string
	LastName  string
	Email     string
	Phone     string
	Position  string
	// Company is the index of the person's company (see CompanyOf).
	Company int
}

// Company is a deterministic fake company.
type Company struct {
	Name  string
	SIRET string
	Email string
	Phone string
	City  string
}

// PersonAt returns person i; people are spread over companies, PeoplePerCompany each.
func PersonAt(i int) Person {
	return Person{
		FirstName: firstNames[i%len(firstNames)],
		LastName:  lastNames[(i/len(firstNames))%len(lastNames)],
		Email:     fmt.Sprintf("person%06d@example.com", i),
		Phone:     fmt.Sprintf("+33 1 %02d %02d %02d %02d", (i/1000000)%100, (i/10000)%100, (i/100)%100, i%100),
		Position:  []string{"Gérant", "Acheteur", "Comptable", "Directeur commercial"}[i%4],
		Company:   CompanyOf(i),
	}
}

// PeoplePerCompany is how many consecutive people share a company.
const PeoplePerCompany = 5

// CompanyOf returns the company index of person i.
func CompanyOf(i int) int { return i / PeoplePerCompany }

// CompanyAt returns company i.
func CompanyAt(i int) Company {
	return Company{
		Name:  fmt.Sprintf("%s %s %05d", trades[i%len(trades)], cities[(i/len(trades))%len(cities)], i),
		SIRET: fmt.Sprintf("%09d%05d", 100000000+i, 10),
		Email: fmt.Sprintf("contact@company%05d.example.com", i),
		Phone: fmt.Sprintf("+33 4 %02d %02d %02d %02d", (i/1000000)%100, (i/10000)%100, (i/100)%100, i%100),
		City:  cities[(i/len(trades))%len(cities)],
	}
}
