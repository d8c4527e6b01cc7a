// FTXEval module — placeholder until its issue lands.
public enum FTXEvalModule { public static let name = "FTXEval" }
