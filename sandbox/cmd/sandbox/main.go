// Command sandbox serves the simulated Sellsy and Webmecanik Automation APIs with seeded data,
// so that crmsync can be tried and tested without the real systems.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/crmsync/crmsync/sandbox"
)

func main() {
	o, err := parseOptions(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	sb, err := sandbox.Start(o)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Sellsy simulator      %s  (API %s/v2, token %s/oauth2/access-tokens): %d contacts, %d companies\n",
		sb.SellsyURL, sb.SellsyURL, sb.SellsyURL, sb.Sellsy.Count("contacts"), sb.Sellsy.Count("companies"))
	fmt.Printf("Automation simulator  %s  (API %s/api): %d contacts, %d companies\n",
		sb.MauticURL, sb.MauticURL, sb.Mautic.Count("contacts"), sb.Mautic.Count("companies"))
	if sb.Weavy != nil {
		fmt.Printf("weavy simulator       %s  (API %s/v1, project %s): %d contacts, %d customers, %d entrants\n",
			sb.WeavyURL, sb.WeavyURL, o.WeavyProject, sb.Weavy.Count("customercontact"), sb.Weavy.Count("customer"), sb.Weavy.Count("marketinginbound"))
	}
	for _, sim := range []struct {
		name, url string
		on        bool
	}{{"Altior simulator     ", sb.AltiorURL, sb.Altior != nil}, {"UNAS simulator       ", sb.UNASURL, sb.UNAS != nil}, {"MiniCRM simulator    ", sb.MiniCRMURL, sb.MiniCRM != nil}} {
		if sim.on {
			fmt.Printf("%s  %s\n", sim.name, sim.url)
		}
	}
	fmt.Println("admin: GET /_sim/stats, POST /_sim/stats/reset, GET|POST /_sim/faults, POST /_sim/seed?first=&n=, GET /_sim/dump?object=, POST /_sim/reset")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	_ = sb.Close()
}

// parseOptions reads the flags. Every setting is a flag: a word among them is refused, since
// the flag package stops at it and would silently leave the flags after it unread.
func parseOptions(args []string) (sandbox.Options, error) {
	var o sandbox.Options
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.StringVar(&o.SellsyAddr, "sellsy-addr", "127.0.0.1:18081", "listen address of the Sellsy simulator")
	fs.StringVar(&o.MauticAddr, "mautic-addr", "127.0.0.1:18082", "listen address of the Automation (Mautic) simulator")
	fs.IntVar(&o.SellsyFirst, "sellsy-first", 0, "index of the first seeded person on Sellsy")
	fs.IntVar(&o.SellsyContacts, "sellsy-contacts", 6000, "contacts seeded on Sellsy (with a company per 5 contacts)")
	fs.IntVar(&o.MauticFirst, "mautic-first", 4000, "index of the first seeded person on Automation; people with the same index share an e-mail")
	fs.IntVar(&o.MauticContacts, "mautic-contacts", 4000, "contacts seeded on Automation (with a company per 5 contacts)")
	fs.IntVar(&o.SellsyRequestsPerSecond, "sellsy-rps", 0, "Sellsy quota per second (0: Sellsy's default of 5; negative: unlimited)")
	fs.IntVar(&o.SellsyRequestsPerMinute, "sellsy-rpm", 0, "Sellsy quota per minute (0 or negative: unlimited; Sellsy was observed at 149)")
	fs.IntVar(&o.SellsyRequestsPerDay, "sellsy-rpd", 0, "Sellsy quota per day (0: Sellsy's documented 432000, unlimited when -sellsy-rps is negative; negative: unlimited)")
	fs.StringVar(&o.SellsyClientID, "client-id", envOr("SELLSY_CLIENT_ID", "crmsync-demo"), "OAuth2 client id the Sellsy simulator accepts")
	fs.StringVar(&o.SellsyClientSecret, "client-secret", envOr("SELLSY_CLIENT_SECRET", "demo-secret"), "OAuth2 client secret the Sellsy simulator accepts")
	fs.StringVar(&o.MauticUsername, "mautic-user", envOr("MAUTIC_USERNAME", "admin"), "basic-auth user the Automation simulator accepts")
	fs.StringVar(&o.MauticPassword, "mautic-password", envOr("MAUTIC_PASSWORD", "demo-password"), "basic-auth password the Automation simulator accepts")
	fs.IntVar(&o.MauticBatchMax, "mautic-batch-max", 200, "Automation's api_batch_max_limit, as an administrator may lower it: a batch of more records is refused whole (at least 1; 0, refusing every batch, through POST /_sim/config)")
	fs.StringVar(&o.MauticTimezone, "mautic-timezone", "", "timezone of the Automation API user (IANA name, e.g. Europe/Paris), in which the API shows dates; empty: UTC")
	fs.StringVar(&o.WeavyAddr, "weavy-addr", "127.0.0.1:18083", "listen address of the weavy simulator (empty: not started)")
	fs.IntVar(&o.WeavyFirst, "weavy-first", 5000, "index of the first person seeded on weavy as a contact of a customer")
	fs.IntVar(&o.WeavyContacts, "weavy-contacts", 1000, "contacts seeded on weavy (with a customer per 5 contacts)")
	fs.IntVar(&o.WeavyEntrantsFirst, "weavy-entrants-first", 9000, "index of the first person seeded on weavy as an entrant")
	fs.IntVar(&o.WeavyEntrants, "weavy-entrants", 200, "entrants (marketing leads) seeded on weavy")
	fs.StringVar(&o.WeavyUsername, "weavy-user", envOr("WEAVY_USERNAME", "weavy-api"), "user the weavy simulator accepts")
	fs.StringVar(&o.WeavyPassword, "weavy-password", envOr("WEAVY_PASSWORD", "demo-password"), "password the weavy simulator accepts")
	fs.StringVar(&o.WeavyProject, "weavy-project", "crm", "weavy project code")
	fs.StringVar(&o.WeavySelectOrder, "weavy-select-order", "inserted", "order of weavy's Select pages: inserted or modified")
	fs.StringVar(&o.AltiorAddr, "altior-addr", "127.0.0.1:18084", "listen address of the Altior simulator (empty: not started)")
	fs.StringVar(&o.AltiorAPIKey, "altior-api-key", envOr("ALTIOR_API_KEY", "altior-sim-key"), "API key the Altior simulator accepts")
	fs.IntVar(&o.AltiorTiersFirst, "altior-first", 5500, "index of the first person whose company is seeded as an Altior tiers")
	fs.IntVar(&o.AltiorTiers, "altior-people", 500, "people seeded on Altior (a tiers per 5, a contact each)")
	fs.StringVar(&o.UNASAddr, "unas-addr", "127.0.0.1:18085", "listen address of the UNAS simulator (empty: not started)")
	fs.StringVar(&o.UNASAPIKey, "unas-api-key", envOr("UNAS_API_KEY", "unas-demo-key"), "API key the UNAS simulator accepts")
	fs.IntVar(&o.UNASOrdersFirst, "unas-first", 0, "index of the first person with UNAS orders")
	fs.IntVar(&o.UNASOrders, "unas-orders", 300, "orders seeded on UNAS, over the last 30 days")
	fs.StringVar(&o.MiniCRMAddr, "minicrm-addr", "127.0.0.1:18086", "listen address of the MiniCRM simulator (empty: not started)")
	fs.StringVar(&o.MiniCRMSystemID, "minicrm-system-id", envOr("MINICRM_SYSTEM_ID", "12345"), "system id the MiniCRM simulator accepts")
	fs.StringVar(&o.MiniCRMAPIKey, "minicrm-api-key", envOr("MINICRM_API_KEY", "minicrm-demo-key"), "API key the MiniCRM simulator accepts")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("sandbox: unexpected argument %q: every setting is a flag (-h lists them), and none after it would be read", fs.Arg(0))
	}
	if o.MauticBatchMax < 1 {
		// 0 would read as Mautic's default in the options: a limit refusing every batch is
		// set on the running simulator (POST /_sim/config).
		return o, fmt.Errorf("sandbox: -mautic-batch-max %d: at least 1 (a limit of 0, refusing every batch: POST /_sim/config {\"api_batch_max_limit\":0})", o.MauticBatchMax)
	}
	return o, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
