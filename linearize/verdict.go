package linearize

// Result is a checker's judgement.
type Result string

const (
	// Pass: the property holds on this history.
	Pass Result = "pass"
	// Violated: the property does not hold; the evidence says where.
	Violated Result = "fail"
	// Inconclusive: the checker could not decide, for example because a time limit was
	// reached or the input lacked what the checker needs. The summary says why.
	Inconclusive Result = "unknown"
)

// Verdict is what every checker returns. Evidence is the checker's own JSON-tagged type,
// documented with the checker.
type Verdict struct {
	Name     string `json:"name"`
	Result   Result `json:"result"`
	Summary  string `json:"summary"`
	Evidence any    `json:"evidence,omitempty"`
}

// Ok reports whether the verdict is a pass.
func (v Verdict) Ok() bool { return v.Result == Pass }
