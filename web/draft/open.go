package draft

// Opening is what the playground page opens on: the provider and model
// asked for (the page's URL), else those of the session's last form, else
// the session's last pick (else Prepare's default); and the last form's
// values, carried over to whichever model opens. saved is the session's
// last form when hasSaved; its variables' values come with it.
func Opening(provider, model string, saved Saved, hasSaved bool, pickedProvider, pickedModel string) Input {
	in := Input{Provider: provider, Model: model}
	if in.Provider == "" {
		if hasSaved {
			in.Provider, in.Model = saved.Provider, saved.Model
		} else {
			in.Provider, in.Model = pickedProvider, pickedModel
		}
	}
	if hasSaved {
		in.Form, in.PrevProvider, in.PrevModel = saved.Form, saved.Provider, saved.Model
	}
	// The playground's draft is a template, with no values yet when none
	// were saved.
	in.Vars = TemplateVars(saved.Vars)
	return in
}
