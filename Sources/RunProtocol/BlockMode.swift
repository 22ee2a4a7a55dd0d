/// How a residual block combines its branch F and its shortcut S.
public enum BlockMode: String, CaseIterable, Codable, Sendable {
    /// S(x) + F(x): the ResNet.
    case residual
    /// F(x) alone: the skip connection switched off, a plain deep net.
    case plain
    /// S(x) alone: the block removed, its shortcut kept (Veit's lesion).
    case deleted
}

/// Where block modes apply: to evaluation only (training goes on with the
/// intact network), or to training and evaluation alike.
public enum LesionScope: String, CaseIterable, Codable, Sendable {
    case eval, train
}
