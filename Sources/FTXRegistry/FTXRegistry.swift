// FTXRegistry module — placeholder until its issue lands.
public enum FTXRegistryModule { public static let name = "FTXRegistry" }
