//! The route table: publish/subscribe by route target, RT Constraint, route reflection, best path.
